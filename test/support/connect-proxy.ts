import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`, without credentials. */
  url: string;
  /** `host:port` of every tunnel opened, in order. */
  tunnels: string[];
  /** CONNECT requests refused (407 or 403). */
  refused: number;
  /** Cuts every open tunnel, as a proxy restart would. */
  dropTunnels(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP CONNECT proxy, as corporate proxies tunnel https and wss: optional basic authentication, a list
 * of forbidden targets (answered 403), and a count of the tunnels it opened.
 */
export async function startConnectProxy(options: { username?: string; password?: string; forbidden?: string[] } = {}): Promise<ConnectProxy> {
  const open = new Set<net.Socket>();
  const proxy: Omit<ConnectProxy, 'url' | 'close'> & { url: string } = {
    url: '',
    tunnels: [],
    refused: 0,
    dropTunnels() {
      for (const s of open) s.destroy();
    },
  };
  const expected = options.username ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    client.on('error', () => {});
    const target = req.url ?? '';
    if (expected && req.headers['proxy-authorization'] !== expected) {
      proxy.refused++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (options.forbidden?.includes(target)) {
      proxy.refused++;
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = [target.slice(0, target.lastIndexOf(':')).replace(/^\[|\]$/g, ''), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = net.connect(port, host, () => {
      proxy.tunnels.push(target);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    upstream.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...proxy,
    get tunnels() {
      return proxy.tunnels;
    },
    get refused() {
      return proxy.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.dropTunnels();
        server.close(() => resolve());
      }),
  };
}
