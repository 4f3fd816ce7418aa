import assert from 'node:assert/strict';
import { PendingOperations } from '../src/client/pending-operations';
import { MAX_TIMER_MS, isLimit, timerDelay } from '../src/client/time-limit';

// Timers (issue 18): a limit of 0 is none, never 1 ms; a delay above Node's 2^31-1 ms is cut to it, never fired at once.

describe('time limits and timer delays', () => {
  it('cuts delays to what Node timers take, and reads 0 as no limit', () => {
    assert.equal(timerDelay(2 ** 40), MAX_TIMER_MS);
    assert.equal(timerDelay(Infinity), MAX_TIMER_MS);
    assert.equal(timerDelay(-5), 0);
    assert.equal(timerDelay(1500), 1500);
    assert.equal(isLimit(0), false);
    assert.equal(isLimit(1), true);
  });

  it('an operation with no limit stays pending, and no timer is made for it', () => {
    const timedOut: string[] = [];
    const pending = new PendingOperations(0, (id) => timedOut.push(id));
    pending.add('a', 'subscribe');
    assert.equal(pending.kindOf('a'), 'subscribe');
    // No timer holds the event loop: the process could exit with the operation still waiting for its answer.
    assert.deepEqual(pending.clear().map((o) => o.kind), ['subscribe']);
    assert.deepEqual(timedOut, []);
  });

  it('a request timeout beyond 2^31-1 ms does not fire at once', async () => {
    const timedOut: string[] = [];
    const pending = new PendingOperations(2 ** 40, (id) => timedOut.push(id));
    pending.add('a', 'subscribe');
    // The fence: a timer of 5 ms set after it fires first, and the operation is still pending.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(timedOut, []);
    assert.equal(pending.kindOf('a'), 'subscribe');
    pending.clear();
  });
});
