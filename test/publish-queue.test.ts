import assert from 'node:assert/strict';
import { apiKeyAuthorizer } from '../src/client';
import { MemoryPublishQueue, PublishRequest } from '../src/client/publish-queue';

describe('the memory publish queue', () => {
  const request = (n: number) => new PublishRequest(`id-${n}`, '/default/q', [String(n)], apiKeyAuthorizer('da2-unused'));
  const ids = (requests: readonly PublishRequest[]) => requests.map((r) => r.id);

  it('keeps call order through shifts past its trimming point, requeues in front, and bounds only its size', () => {
    const queue = new MemoryPublishQueue(5_000);
    for (let n = 0; n < 3_000; n++) queue.push(request(n));
    for (let n = 0; n < 2_000; n++) assert.equal(queue.shift()?.id, `id-${n}`);
    assert.equal(queue.size, 1_000);
    queue.requeue([request(-2), request(-1)]);
    assert.equal(queue.size, 1_002);
    assert.ok(queue.hasRoom(3_998) && !queue.hasRoom(3_999));
    assert.deepEqual(ids(queue.takeAll()), ['id--2', 'id--1', ...Array.from({ length: 1_000 }, (_, i) => `id-${2_000 + i}`)]);
    assert.equal(queue.size, 0);
    assert.equal(queue.shift(), undefined);
  });
});
