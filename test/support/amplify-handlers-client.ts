// The unmodified Amplify JS `events` API against an emulator with handlers and per-namespace auth modes: what a
// developer sees from the official client. Prints one JSON report.
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const text = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : JSON.stringify(e));

async function main(): Promise<void> {
  const [endpoint, apiKey] = process.argv.slice(2) as [string, string];
  Amplify.configure({ API: { Events: { endpoint, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } } });
  const report: Record<string, unknown> = {};
  // A namespace that allows only IAM.
  report.iamOnly = await events.post('/secure/x', { n: 1 }).then(() => 'accepted', text);
  // onSubscribe refusing a channel.
  const staff = await events.connect('/rooms/staff');
  report.refusedSubscription = await new Promise((resolve) => {
    staff.subscribe({ next: () => resolve('event'), error: (e: unknown) => resolve(text(e)) });
    setTimeout(() => resolve('no answer'), 3_000);
  });
  // onPublish transforming, filtering and failing single events.
  const received: unknown[] = [];
  const rooms = await events.connect('/rooms/*');
  rooms.subscribe({ next: (data: { event: unknown }) => received.push(data.event), error: (e: unknown) => received.push(text(e)) });
  await new Promise((r) => setTimeout(r, 500));
  report.failed = await events.post('/rooms/lobby', [{ text: 'hi' }, { text: 'drop me', drop: true }, null]);
  report.thrown = await events.post('/rooms/lobby', { explode: true }).then(() => 'accepted', text);
  report.looped = await events.post('/rooms/lobby', { loop: true }).then(() => 'accepted', text);
  report.after = (await events.post('/rooms/lobby', { text: 'after' })) ?? null;
  const deadline = Date.now() + 3_000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  report.received = received;
  staff.close();
  rooms.close();
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ fatal: String(err) }) + '\n');
  process.exit(1);
});
