import assert from 'node:assert/strict';
import { isEnvelope, missedBetween } from '../src/protocol/envelope';
import { EnvelopeReceiver, REMEMBERED_IDS } from '../src/nodes/envelope-receiver';

// The envelope's rules: what counts as one, how a gap is counted, and the bounded memory of a subscribe node.

const envelope = (id: string, seq: number, src = 'gw', channel = '/default/a') => ({ id, src, seq, ts: 1, channel, data: null });

describe('envelopes', () => {
  it('are events with all six fields of their types; anything else is a plain event', () => {
    assert.equal(isEnvelope(envelope('x', 1)), true, 'data may be null');
    assert.equal(isEnvelope({ id: 'x', src: 'gw', seq: 1, ts: 1, channel: '/default/a' }), false, 'no data');
    for (const bad of [{ id: '' }, { seq: 0 }, { seq: 1.5 }, { seq: '1' }, { ts: Number.NaN }, { channel: '' }, { src: 3 }]) {
      assert.equal(isEnvelope({ ...envelope('x', 1), ...bad }), false, JSON.stringify(bad));
    }
    assert.equal(isEnvelope([envelope('x', 1)]), false);
    assert.equal(isEnvelope('{"id":"x"}'), false);
  });

  it('count the numbers skipped, never below 0, and 0 when the count goes back (a source restarted without a file store)', () => {
    assert.equal(missedBetween(undefined, 7), 0);
    assert.equal(missedBetween(6, 7), 0);
    assert.equal(missedBetween(2, 5), 2);
    assert.equal(missedBetween(9, 1), 0);
    assert.equal(missedBetween(9, 9), 0);
  });

  it('a subscribe node drops an id it delivered among its last 10,000, counts gaps per source and channel, and forgets the oldest beyond that', () => {
    const receiver = new EnvelopeReceiver();
    assert.deepEqual(receiver.receive(envelope('a', 1)), { repeat: false, gap: 0 });
    assert.deepEqual(receiver.receive(envelope('a', 1)), { repeat: true });
    assert.deepEqual(receiver.receive(envelope('b', 4)), { repeat: false, gap: 2 });
    assert.deepEqual(receiver.receive(envelope('c', 1, 'other')), { repeat: false, gap: 0 }, 'another source has its own count');
    assert.deepEqual(receiver.receive(envelope('d', 1, 'gw', '/default/b')), { repeat: false, gap: 0 }, 'another channel too');
    for (let i = 0; i < REMEMBERED_IDS; i++) receiver.receive(envelope(`n${i}`, 1, `src-${i}`));
    assert.deepEqual(receiver.receive(envelope('a', 5)), { repeat: false, gap: 0 }, 'id "a" and the count of gw on /default/a were forgotten');
    assert.deepEqual(receiver.receive(envelope(`n${REMEMBERED_IDS - 1}`, 1, 'x')), { repeat: true }, 'a recent id is still known');
  });
});
