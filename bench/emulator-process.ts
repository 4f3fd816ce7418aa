// The emulator in its own process, so that it does not share a CPU core with the client being measured.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createEmulator } from '../src/emulator';
import type { EmulatorCommand } from './protocol';

async function main(): Promise<void> {
  const [certPath, keyPath, limit, maxSubscriptions] = process.argv.slice(2) as [string, string, string | undefined, string | undefined];
  const apiKey = 'da2-benchbenchbenchbenchbench';
  const emulator = await createEmulator({
    host: '127.0.0.1',
    apiKeys: [apiKey],
    tls: { cert: readFileSync(certPath), key: readFileSync(keyPath) },
    // Above every scenario's needs, unless one measures the quota (the connection pool's).
    maxSubscriptionsPerConnection: maxSubscriptions ? Number(maxSubscriptions) : 5_000,
    // No publish quota unless a scenario asks for one: the other figures measure the clients, not the quota.
    publishRequestsPerSecond: limit ? Number(limit) : 0,
  });
  process.on('message', (m: { id: number; command: EmulatorCommand }) => {
    const reply = (value: unknown) => process.send!({ id: m.id, reply: value });
    const c = m.command;
    if (c.cmd === 'inject') {
      // Slices keep the process responsive; the socket buffers what the client has not read yet.
      let sent = 0;
      const start = performance.now();
      const slice = () => {
        const n = Math.min(1_000, c.count - sent);
        emulator.publish(c.channel, Array.from({ length: n }, () => c.event));
        sent += n;
        if (sent < c.count) setImmediate(slice);
        else reply({ sent, elapsedMs: performance.now() - start });
      };
      slice();
    } else if (c.cmd === 'drop') {
      emulator.faults.dropConnections();
      reply({});
    } else {
      reply(emulator.stats());
    }
  });
  process.send!({ ready: true, httpUrl: emulator.httpUrl.replace('127.0.0.1', 'localhost'), apiKey });
}

void main();
