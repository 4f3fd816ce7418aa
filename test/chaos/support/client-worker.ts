// A plain Node.js process running the built client (dist/client.js) against a server the parent controls.
// It reports what it sees over IPC; if anything the server sends throws out of the client, this process dies
// and the parent sees it exit.
import type { EventsError } from '../../../src/client';

type Command = { type: 'start'; url: string } | { type: 'publish'; n: number } | { type: 'stop' };
type Report =
  | { type: 'event'; event: unknown }
  | { type: 'error'; errorType: string }
  | { type: 'state'; status: string }
  | { type: 'published'; n: number; ok: boolean; errorType?: string }
  | { type: 'warning'; name: string }
  | { type: 'ready' };

// The built artifact, as a user installs it.
const { Events, apiKeyAuthorizer } = require('../../../dist/client.js') as typeof import('../../../src/client');

const report = (r: Report) => process.send?.(r);
process.on('warning', (w) => report({ type: 'warning', name: w.name }));

let client: ReturnType<InstanceType<typeof Events>['createWebSocketClient']> | undefined;

process.on('message', (command: Command) => {
  if (command.type === 'start') {
    client = new Events(command.url).createWebSocketClient(apiKeyAuthorizer('da2-chaoschaoschaoschaoschaos'), {
      reconnectBaseDelayMs: 10,
      reconnectMaxDelayMs: 100,
      requestTimeoutMs: 2_000,
      connectTimeoutMs: 2_000,
    });
    client.onStateChange((s) => report({ type: 'state', status: s.status }));
    const sub = client.subscribe('default/chaos', {
      onEvent: (event) => report({ type: 'event', event }),
      onError: (err) => report({ type: 'error', errorType: err.errorType }),
    });
    void sub.ready.then(() => report({ type: 'ready' }), () => {});
  } else if (command.type === 'publish') {
    client?.publish('default/chaos', [{ n: command.n }]).then(
      () => report({ type: 'published', n: command.n, ok: true }),
      (err: EventsError) => report({ type: 'published', n: command.n, ok: false, errorType: err.errorType }),
    );
  } else {
    void client?.disconnect(false).then(() => process.exit(0));
  }
});
