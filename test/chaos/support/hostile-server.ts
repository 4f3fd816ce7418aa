import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Frame = Record<string, unknown>;

/**
 * A WebSocket server that speaks the AppSync Events protocol well until told to misbehave: it acknowledges
 * connections, subscriptions and publishes, and lets a test send any frame (or none) at any moment.
 */
export class HostileServer {
  readonly #wss: WebSocketServer;
  url = '';
  /** Connections accepted since the server started. */
  connections = 0;
  current: WebSocket | undefined;
  /** Subscription ids acknowledged on the current socket. */
  readonly subscriptions = new Set<string>();
  /** How the next connection is acknowledged; reset to a valid ack after use. */
  nextAck: (ws: WebSocket) => void = validAck;
  /** How the next publish is answered; reset to a valid answer after use. */
  nextPublishAnswer: ((ws: WebSocket, frame: Frame) => void) | undefined;
  /** Frames sent by clients, by type. */
  readonly received = new Map<string, number>();

  constructor() {
    this.#wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'aws-appsync-event-ws' });
    this.#wss.on('connection', (ws) => this.#onConnection(ws));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#wss.once('listening', () => resolve()));
    this.url = `http://127.0.0.1:${(this.#wss.address() as AddressInfo).port}/event`;
    return this;
  }

  /** Sends a raw frame on the current socket. */
  send(data: string | Buffer, binary = false): void {
    this.current?.send(data, { binary });
  }

  /** Sends one valid `data` frame with `event` to every subscription on the current socket. */
  deliver(event: string): void {
    for (const id of this.subscriptions) this.current?.send(JSON.stringify({ type: 'data', id, event }));
  }

  get openSockets(): number {
    return this.#wss.clients.size;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const c of this.#wss.clients) c.terminate();
      this.#wss.close(() => resolve());
    });
  }

  #onConnection(ws: WebSocket): void {
    this.connections++;
    this.current = ws;
    this.subscriptions.clear();
    ws.on('error', () => {});
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      const type = String(frame.type);
      this.received.set(type, (this.received.get(type) ?? 0) + 1);
      if (ws !== this.current) return;
      if (type === 'connection_init') {
        const ack = this.nextAck;
        this.nextAck = validAck;
        ack(ws);
      } else if (type === 'subscribe') {
        this.subscriptions.add(String(frame.id));
        ws.send(JSON.stringify({ type: 'subscribe_success', id: frame.id }));
      } else if (type === 'unsubscribe') {
        this.subscriptions.delete(String(frame.id));
        ws.send(JSON.stringify({ type: 'unsubscribe_success', id: frame.id }));
      } else if (type === 'publish') {
        const answer = this.nextPublishAnswer;
        this.nextPublishAnswer = undefined;
        if (answer) answer(ws, frame);
        else {
          const events = Array.isArray(frame.events) ? frame.events : [];
          ws.send(JSON.stringify({ type: 'publish_success', id: frame.id, successful: events.map((_, index) => ({ identifier: `i${index}`, index })), failed: [] }));
        }
      }
    });
  }
}

function validAck(ws: WebSocket): void {
  ws.send(JSON.stringify({ type: 'connection_ack', connectionTimeoutMs: 300000 }));
}
