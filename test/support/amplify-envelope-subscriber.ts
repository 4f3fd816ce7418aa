// An unmodified Amplify JS subscriber reading the envelopes of events-publish nodes, with the code the README shows:
// the data, the real channel, and repeats dropped by id. Prints a line when subscribed, then one JSON report once it
// has seen as many events as asked for.
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

// Amplify uses the global WebSocket, which Node 20 lacks.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

async function main(): Promise<void> {
  const [endpoint, apiKey, expected] = process.argv.slice(2) as [string, string, string];
  Amplify.configure({ API: { Events: { endpoint, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } } });
  const shown: Array<[string, unknown]> = [];
  let seenEvents = 0;
  const done = new Promise<void>((resolve) => {
    // --- as in the README ("Reading envelopes in a web app") ---
    const seen = new Set<unknown>();
    const show = (channel: string, data: unknown) => shown.push([channel, data]);
    void events.connect('/default/*').then((channel) => {
      channel.subscribe({
        next: ({ event }: { event: Record<string, unknown> }) => {
          seenEvents++;
          if (seenEvents >= Number(expected)) setImmediate(resolve);
          const isEnvelope = event && typeof event === 'object' && ['id', 'src', 'seq', 'ts', 'channel', 'data'].every((k) => k in event);
          if (!isEnvelope) return show('?', event);
          if (seen.has(event.id)) return; // sent again after a gateway crash
          seen.add(event.id);
          show(String(event.channel), event.data);
        },
        error: (err: unknown) => show('error', String(err)),
      });
      // --- end ---
      process.stdout.write('{"subscribed":true}\n');
    });
  });
  await done;
  process.stdout.write(JSON.stringify({ shown }) + '\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ fatal: String(err) }) + '\n');
  process.exit(1);
});
