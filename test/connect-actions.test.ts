import assert from 'node:assert/strict';
import appsyncNodes = require('../src/nodes');
import type { Emulator } from '../src/emulator';
import { API_KEY } from './support/fixtures';
import { emulatorForFlows } from './support/runtime';
import { collect, helper, nextMessage, nodeRedVersion, type FlowNode } from './support/node-red';
import { waitFor } from './support/wait';

describe(`Node-RED ${nodeRedVersion}: msg.action connect and disconnect, autoConnect off`, function () {
  let emulator: Emulator;
  const current = emulatorForFlows();
  beforeEach(() => {
    emulator = current();
  });

  it('connects only on connect, keeps what was asked meanwhile, and stays closed after disconnect until the next connect', async () => {
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'control' },
      { id: 'auth', type: 'events-authorizer', authType: 'apiKey' },
      { id: 'ep', type: 'events-endpoint', url: emulator.httpUrl, authorizer: 'auth', autoConnect: false, reconnectBaseDelay: 0.02, reconnectMaxDelay: 0.05, requestTimeout: 2 },
      { id: 'static', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: 'default/control', wires: [['got']] },
      { id: 'got', type: 'helper', z: 'tab' },
      { id: 'dynamic', type: 'events-subscribe', z: 'tab', endpoint: 'ep', channel: '', wires: [['dyngot']] },
      { id: 'dyngot', type: 'helper', z: 'tab' },
      { id: 'pub', type: 'events-publish', z: 'tab', endpoint: 'ep', channel: 'default/control', transport: 'websocket', wires: [['published']] },
      { id: 'published', type: 'helper', z: 'tab' },
      { id: 'complete', type: 'complete', z: 'tab', scope: ['pub', 'dynamic'], uncaught: false, wires: [['done']] },
      { id: 'done', type: 'helper', z: 'tab' },
    ];
    await helper.load(appsyncNodes, flow, { auth: { apiKey: API_KEY } });
    const got = collect(helper.getNode('got'));
    const published = collect(helper.getNode('published'));
    const done = collect(helper.getNode('done'));
    /** The connection's state as msg.action getStats reports it; the stats message is not a publish's output. */
    const connectionState = async (): Promise<string> => {
      const stats = nextMessage(helper.getNode('published'));
      helper.getNode('pub').receive({ action: 'getStats' });
      const msg = await stats;
      published.splice(published.indexOf(msg), 1);
      return (msg.payload as { connection: { state: string } }).connection.state;
    };
    helper.getNode('pub').receive({ payload: 'queued before connect' });
    // The fence: the node's next message reports the connection; opening would have turned it to connecting at once.
    assert.equal(await connectionState(), 'idle', 'no socket before connect, even with a static subscription and a publish');
    assert.equal(emulator.stats().totalConnections, 0);

    helper.getNode('pub').receive({ action: 'connect', seq: 'c1' });
    await waitFor(() => done.some((m) => m.seq === 'c1'), 'connect done');
    await waitFor(() => got.length === 1 && published.length === 1, 'the static subscription made on connect, and the queued publish delivered to it');
    assert.equal(got[0]!.payload, 'queued before connect');

    helper.getNode('dynamic').receive({ action: 'disconnect', seq: 'd1' });
    await waitFor(() => done.some((m) => m.seq === 'd1'), 'disconnect done');
    await waitFor(() => emulator.stats().openConnections === 0, 'the socket closed');
    helper.getNode('dynamic').receive({ action: 'subscribe', topic: 'default/while-closed', seq: 's1' });
    helper.getNode('pub').receive({ payload: 'queued while disconnected' });
    assert.equal(await connectionState(), 'stopped', 'it stays closed until the next connect');
    assert.equal(emulator.stats().openConnections, 0);
    assert.equal(emulator.stats().totalConnections, 1);

    helper.getNode('dynamic').receive({ action: 'connect', seq: 'c2' });
    await waitFor(() => done.some((m) => m.seq === 'c2'), 'the second connect done');
    await waitFor(() => emulator.stats().subscriptions === 2, 'both subscriptions made on connect', 5_000);
    await waitFor(() => got.length === 2, 'the publish queued while disconnected');
    assert.equal(got[1]!.payload, 'queued while disconnected');
    assert.equal(emulator.stats().totalConnections, 2);
  });
});
