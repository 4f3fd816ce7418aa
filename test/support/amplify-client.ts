// Runs the unmodified Amplify JS `events` API against the emulator, in its own process so that the
// emulator's self-signed certificate can be trusted through NODE_EXTRA_CA_CERTS. Prints one JSON report.
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

// Amplify uses the global WebSocket, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

async function main(): Promise<void> {
  const [endpoint, apiKey] = process.argv.slice(2) as [string, string];
  Amplify.configure({ API: { Events: { endpoint, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } } });
  const received: unknown[] = [];
  const channel = await events.connect('/default/amplify');
  const errors: unknown[] = [];
  channel.subscribe({ next: (data: { event: unknown }) => received.push(data.event), error: (e: unknown) => errors.push(String(e)) });
  const wildcard = await events.connect('/default/*');
  const wildReceived: unknown[] = [];
  wildcard.subscribe({ next: (data: { event: unknown }) => wildReceived.push(data.event), error: (e: unknown) => errors.push(String(e)) });
  // The real service may need a moment after subscribe_success (protocol.md §3.3); so may the client's bookkeeping.
  await new Promise((r) => setTimeout(r, 500));
  const httpFailed = await events.post('/default/amplify', { via: 'http' });
  await channel.publish({ via: 'websocket' });
  await events.post('default/amplify', [{ batch: 1 }, { batch: 2 }]);
  const deadline = Date.now() + 5_000;
  while ((received.length < 4 || wildReceived.length < 4) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  channel.close();
  wildcard.close();
  process.stdout.write(JSON.stringify({ received, wildReceived, httpFailed: httpFailed ?? null, errors }) + '\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ fatal: String(err) }) + '\n');
  process.exit(1);
});
