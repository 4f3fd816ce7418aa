import assert from 'node:assert/strict';
import type { Emulator } from '../../src/emulator';
import type { EventsWebSocketClient } from '../../src/client';
import { apiKeyClient, startEmulator } from '../support/fixtures';
import { waitFor } from '../support/wait';
import { heapAfterGc, mb } from './support/heap';
import { record } from './support/report';

const RECONNECTS = 1_000;
const SUBSCRIPTIONS = 100;

// A client with 100 subscriptions is dropped 1,000 times; each time every subscription comes back, and the heap
// after garbage collection stays within 10 % of where it was after the first 50 drops.
describe(`chaos: ${RECONNECTS} forced reconnects of a client with ${SUBSCRIPTIONS} subscriptions`, function () {
  let emulator: Emulator;
  let client: EventsWebSocketClient;
  before(async () => {
    emulator = await startEmulator({ maxSubscriptionsPerConnection: 1_000 });
  });
  after(async () => {
    await client?.disconnect(false);
    await emulator.stop();
  });

  it('resubscribes every time and does not grow', async () => {
    client = apiKeyClient(emulator, { reconnectBaseDelayMs: 1, reconnectMaxDelayMs: 5 });
    const subs = Array.from({ length: SUBSCRIPTIONS }, (_, i) => client.subscribe(`default/r${i}`));
    await Promise.all(subs.map((s) => s.ready));
    const allBack = () => emulator.stats().subscriptions === SUBSCRIPTIONS && subs.every((s) => s.state.status === 'subscribed');
    let baseline = 0;
    const started = Date.now();
    for (let i = 1; i <= RECONNECTS; i++) {
      const before = emulator.stats().totalConnections;
      emulator.faults.dropConnections();
      await waitFor(() => emulator.stats().totalConnections > before && allBack(), `all ${SUBSCRIPTIONS} subscriptions after drop ${i}`, 10_000);
      if (i === 50) baseline = await heapAfterGc();
    }
    const elapsed = Date.now() - started;
    const final = await heapAfterGc();
    const growth = (final - baseline) / baseline;
    const figures = `${RECONNECTS} × ${SUBSCRIPTIONS} resubscribed in ${(elapsed / 1000).toFixed(1)} s; heap ${mb(baseline)} → ${mb(final)} (${(growth * 100).toFixed(1)} %)`;
    record({ scenario: 'forced reconnects', case: `${RECONNECTS} drops, ${SUBSCRIPTIONS} subscriptions`, target: 'client', passed: growth < 0.1, figures });
    assert.ok(growth < 0.1, figures);
  });
});
