import assert from 'node:assert/strict';
import { MovingSubscription } from '../src/client/moving-subscription';

/**
 * A subscription moves from an old connection to a new one. The old one delivers A + D, the new one D + B, where D are
 * the events published while both held the subscription. The user must see A + D + B, each once, in order.
 */
describe('a subscription moving to a new connection', () => {
  /** Plays the two streams as they reach the client and returns what the user sees. */
  function play(steps: ReadonlyArray<['old' | 'new', string] | ['old ends']>): string[] {
    const seen: string[] = [];
    const moving = new MovingSubscription();
    for (const step of steps) {
      if (step[0] === 'old ends') seen.push(...moving.settle());
      else if (step[0] === 'old') {
        moving.fromOld(step[1]);
        seen.push(step[1]);
      } else if (moving.fromNew(step[1]) === 'deliver') seen.push(step[1]);
    }
    return seen;
  }

  it('drops the held events the old connection already delivered, and delivers the rest', () => {
    const seen = play([['old', 'a1'], ['new', 'd1'], ['old', 'd1'], ['new', 'd2'], ['old', 'd2'], ['new', 'b1'], ['old ends'], ['new', 'b2']]);
    assert.deepEqual(seen, ['a1', 'd1', 'd2', 'b1', 'b2']);
  });

  it('drops the rest of D when the new connection lags and delivers it after the old one ended (seen in CI)', () => {
    const seen = play([['new', '82'], ['new', '83'], ['old', '82'], ['old', '83'], ['old', '84'], ['old ends'], ['new', '84'], ['new', '85']]);
    assert.deepEqual(seen, ['82', '83', '84', '85']);
  });

  it('lets the first new event decide where D starts when nothing was held', () => {
    assert.deepEqual(play([['old', 'a1'], ['old', 'd1'], ['old', 'd2'], ['old ends'], ['new', 'd1'], ['new', 'd2'], ['new', 'b1']]), ['a1', 'd1', 'd2', 'b1']);
    assert.deepEqual(play([['old', 'a1'], ['old ends'], ['new', 'b1'], ['new', 'a1']]), ['a1', 'b1', 'a1'], 'D was empty: a later equal event is new');
  });

  it('delivers an event that breaks the expected repeat of D, and every one after it', () => {
    const moving = new MovingSubscription();
    for (const e of ['x', 'y', 'x']) moving.fromOld(e);
    assert.deepEqual(moving.settle(), []);
    // The first new event 'x' looks like the start of D = [x, y, x]; 'z' shows D was only the last 'x'.
    assert.equal(moving.fromNew('x'), 'repeat');
    assert.equal(moving.done, false);
    assert.equal(moving.fromNew('z'), 'deliver');
    assert.equal(moving.done, true);
    assert.equal(moving.fromNew('y'), 'deliver');
  });

  it('holds new events only while the old connection delivers, and says when too many are held', () => {
    const moving = new MovingSubscription();
    let verdict = moving.fromNew('0');
    for (let n = 1; verdict === 'hold'; n++) verdict = moving.fromNew(String(n));
    assert.equal(verdict, 'full');
    assert.equal(moving.settle().length, 10_000, 'nothing from the old side: every held event is new');
    assert.equal(moving.done, true);
  });
});
