import assert from 'node:assert/strict';
import appsyncNodes = require('../../src/nodes');
import type { Emulator } from '../../src/emulator';
import { API_KEY, startEmulator } from '../support/fixtures';
import { collect, helper, nodeRedVersion, type FlowNode } from '../support/node-red';
import { waitFor } from '../support/wait';
import { record } from './support/report';

// Forty-odd kinds of bad input to the two flow nodes. Each must give one clear Catch-able error (a message and
// a string `msg.error.code`), leave the runtime running, and the next good message must go through.

interface BadInput {
  name: string;
  node: 'pub' | 'sub';
  msg: () => Record<string, unknown>;
}

const circular: Record<string, unknown> = {};
circular.self = circular;
const hostileObject = { toString: 1, valueOf: 1 };

const publishes: Array<[string, () => Record<string, unknown>]> = [
  ['payload missing', () => ({ topic: 'default/bad' })],
  ['payload a function', () => ({ topic: 'default/bad', payload: () => 1 })],
  ['payload a BigInt', () => ({ topic: 'default/bad', payload: 1n })],
  ['payload a Symbol', () => ({ topic: 'default/bad', payload: Symbol('s') })],
  ['payload circular', () => ({ topic: 'default/bad', payload: circular })],
  ['payload NaN', () => ({ topic: 'default/bad', payload: Number.NaN })],
  ['payload Infinity', () => ({ topic: 'default/bad', payload: Number.POSITIVE_INFINITY })],
  ['payload with a NaN inside', () => ({ topic: 'default/bad', payload: { t: Number.NaN } })],
  ['payload 300 KB', () => ({ topic: 'default/bad', payload: 'x'.repeat(300 * 1024) })],
  ['batch with one event over 240 KB', () => ({ topic: 'default/bad', payload: [1, 'x'.repeat(241 * 1024)] })],
  ['empty batch', () => ({ topic: 'default/bad', payload: [] })],
  ['batch with undefined', () => ({ topic: 'default/bad', payload: [1, undefined] })],
  ['Buffer of binary data', () => ({ topic: 'default/bad', payload: Buffer.from([0, 1, 2, 3]) })],
  ['Buffer of invalid UTF-8', () => ({ topic: 'default/bad', payload: Buffer.from([0x7b, 0xff, 0x7d]) })],
  ['no channel at all', () => ({ payload: 1 })],
  ['topic empty', () => ({ topic: '', payload: 1 })],
  ['topic null', () => ({ topic: null, payload: 1 })],
  ['topic a number', () => ({ topic: 42, payload: 1 })],
  ['topic an object with a hostile toString', () => ({ topic: hostileObject, payload: 1 })],
  ['topic an array', () => ({ topic: ['default/a'], payload: 1 })],
  ['topic a wildcard', () => ({ topic: 'default/*', payload: 1 })],
  ['topic "/"', () => ({ topic: '/', payload: 1 })],
  ['topic with an empty segment', () => ({ topic: 'default//a', payload: 1 })],
  ['topic starting with a dash', () => ({ topic: '-bad', payload: 1 })],
  ['topic ending with a dash', () => ({ topic: 'bad-', payload: 1 })],
  ['topic with a space', () => ({ topic: 'default/a b', payload: 1 })],
  ['topic with six segments', () => ({ topic: 'default/1/2/3/4/5', payload: 1 })],
  ['topic with a 51-character segment', () => ({ topic: `default/${'a'.repeat(51)}`, payload: 1 })],
  ['topic with non-ASCII', () => ({ topic: 'default/é', payload: 1 })],
  ['topic with a newline', () => ({ topic: 'default/a\nb', payload: 1 })],
  ['topic with a wildcard in the middle', () => ({ topic: 'default/*/b', payload: 1 })],
];

const subscribes: Array<[string, () => Record<string, unknown>]> = [
  ['unknown msg.action', () => ({ action: 'explode' })],
  ['msg.action a number', () => ({ action: 42 })],
  ['msg.action an object with a hostile toString', () => ({ action: hostileObject })],
  ['msg.action missing', () => ({ topic: 'default/a' })],
  ['subscribe without topic', () => ({ action: 'subscribe' })],
  ['subscribe to an empty list', () => ({ action: 'subscribe', topic: [] })],
  ['subscribe to a list with one invalid channel', () => ({ action: 'subscribe', topic: ['default/ok-first', 'bad channel'] })],
  ['subscribe to a list with null', () => ({ action: 'subscribe', topic: ['default/ok-second', null] })],
  ['subscribe to { topic: 5 }', () => ({ action: 'subscribe', topic: [{ topic: 5 }] })],
  ['subscribe to an object with a hostile toString', () => ({ action: 'subscribe', topic: hostileObject })],
  ['subscribe to a wildcard in the middle', () => ({ action: 'subscribe', topic: 'default/*/x' })],
  ['unsubscribe from an invalid channel', () => ({ action: 'unsubscribe', topic: 'bad channel' })],
];

const CASES: BadInput[] = [...publishes.map(([name, msg]): BadInput => ({ name, node: 'pub', msg })), ...subscribes.map(([name, msg]): BadInput => ({ name, node: 'sub', msg }))];

describe(`chaos: bad input to the flow nodes in Node-RED ${nodeRedVersion}`, function () {
  let emulator: Emulator;
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  let caught: Array<Record<string, unknown>>;
  let pubOut: Array<Record<string, unknown>>;
  let done: Array<Record<string, unknown>>;

  before(async () => {
    process.on('uncaughtExceptionMonitor', onUncaught);
    emulator = await startEmulator();
    await helper.startServer();
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'bad input' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', requestTimeout: 5 },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: '', transport: 'websocket', wires: [['pubout']] },
      { id: 'pubout', type: 'helper', z: 'tab' },
      { id: 'sub', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: '', wires: [[]] },
      { id: 'complete', type: 'complete', z: 'tab', scope: ['sub'], uncaught: false, wires: [['done']] },
      { id: 'done', type: 'helper', z: 'tab' },
      { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    caught = collect(helper.getNode('caught'));
    pubOut = collect(helper.getNode('pubout'));
    done = collect(helper.getNode('done'));
  });
  after(async () => {
    process.off('uncaughtExceptionMonitor', onUncaught);
    await helper.unload();
    await helper.stopServer();
    await emulator.stop();
  });

  CASES.forEach((c, i) => {
    it(`${c.node === 'pub' ? 'events-publish' : 'events-subscribe'}: ${c.name}`, async () => {
      const seq = `bad-${i}`;
      let figures = '';
      try {
        helper.getNode(c.node).receive({ ...c.msg(), seq });
        await waitFor(() => caught.some((m) => m.seq === seq), 'a Catch message', 10_000);
        const error = caught.find((m) => m.seq === seq)!.error as { message?: unknown; code?: unknown };
        assert.equal(typeof error.code, 'string', 'msg.error.code is the error type');
        assert.ok(typeof error.message === 'string' && error.message.length > 10, 'msg.error.message says what is wrong');
        figures = `${String(error.code)}`;
        // Nothing of a refused channel list may stay subscribed.
        assert.equal(emulator.stats().subscriptions, 0, 'no subscription left behind');
        const good = `good-${i}`;
        if (c.node === 'pub') {
          helper.getNode('pub').receive({ topic: 'default/good', payload: { i }, seq: good });
          await waitFor(() => pubOut.some((m) => m.seq === good), 'the next good publish');
        } else {
          helper.getNode('sub').receive({ action: 'subscribe', topic: 'default/good', seq: good });
          await waitFor(() => done.some((m) => m.seq === good), 'the next good subscribe');
          helper.getNode('sub').receive({ action: 'unsubscribe', topic: true, seq: `${good}-off` });
          await waitFor(() => done.some((m) => m.seq === `${good}-off`) && emulator.stats().subscriptions === 0, 'the unsubscribe');
        }
        assert.equal(caught.filter((m) => m.seq === seq).length, 1, 'exactly one Catch message');
        assert.equal(uncaught.length, 0, 'the runtime is alive');
        record({ scenario: 'bad input', case: c.name, target: c.node === 'pub' ? 'events-publish' : 'events-subscribe', passed: true, figures });
      } catch (err) {
        record({ scenario: 'bad input', case: c.name, target: c.node, passed: false, figures: `${figures} ${err instanceof Error ? err.message : ''}` });
        throw err;
      }
    });
  });

  it('a batch of 10,000 events is sent in requests of 5, in order', async () => {
    const payload = Array.from({ length: 10_000 }, (_, i) => i);
    helper.getNode('pub').receive({ topic: 'default/huge', payload, seq: 'huge' });
    await waitFor(() => pubOut.some((m) => m.seq === 'huge'), 'the huge batch', 30_000);
    const result = pubOut.find((m) => m.seq === 'huge')!.publishResult as { successful: unknown[] };
    assert.equal(result.successful.length, 10_000);
    record({ scenario: 'bad input', case: 'batch of 10,000 events', target: 'events-publish', passed: true, figures: '2,000 requests, all acknowledged' });
  });
});
