import type { WebSocket } from 'ws';
import type { HostileServer } from './hostile-server';

/** One malformed server behaviour, acted out after a valid `connection_ack` and subscription. */
export interface HostileCase {
  name: string;
  act(server: HostileServer): void;
  /** The behaviour ends the socket: the client must reconnect and resubscribe. */
  replacesConnection?: boolean;
  /** The behaviour answers the next publish: that publish must fail, cleanly. */
  failsNextPublish?: boolean;
  /** An event the behaviour sends that must never reach user code. */
  forbidden?: string;
  /** The plain client delivers this event (it has no Node-RED limits); the node sends it to Catch instead. */
  nodeRefusesEvent?: boolean;
}

const OBJECT = { toString: 1, valueOf: 1 };
const json = (v: unknown) => JSON.stringify(v);
const firstSub = (s: HostileServer) => [...s.subscriptions][0] ?? 'none';

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Makes the next connection receive `ack` instead of a valid one, then drops the current socket. */
function onNextConnection(ack: (ws: WebSocket) => void): (s: HostileServer) => void {
  return (s) => {
    s.nextAck = ack;
    s.current?.terminate();
  };
}

function closeWith(code: number): HostileCase {
  return { name: `close code ${code}`, act: (s) => s.current?.close(code, 'chaos'), replacesConnection: true };
}

export const HOSTILE_CASES: HostileCase[] = [
  { name: 'error frame, errorType is an object', act: (s) => s.send(json({ type: 'error', errors: [{ errorType: OBJECT, message: 'x' }] })) },
  { name: 'error frame, message is an object', act: (s) => s.send(json({ type: 'error', errors: [{ errorType: 'X', message: OBJECT }] })) },
  { name: 'broadcast_error, errorType and message are objects', act: (s) => s.send(json({ type: 'broadcast_error', id: firstSub(s), errors: [{ errorType: OBJECT, message: OBJECT, errorCode: OBJECT }] })) },
  { name: 'subscribe_error for an unknown id, object errorType', act: (s) => s.send(json({ type: 'subscribe_error', id: 'unknown-id', errors: [{ errorType: OBJECT }] })) },
  { name: 'connection_error after the ack, object entries', act: (s) => s.send(json({ type: 'connection_error', errors: [{ errorType: OBJECT, message: OBJECT }] })), replacesConnection: true },
  { name: 'error frame, errors is a string', act: (s) => s.send(json({ type: 'error', errors: 'boom' })) },
  { name: 'error frame, 1 MB message', act: (s) => s.send(json({ type: 'error', errors: [{ errorType: 'X', message: 'm'.repeat(1_000_000) }] })) },
  { name: 'error frame, terminal escapes in message', act: (s) => s.send(json({ type: 'error', errors: [{ errorType: 'X', message: '\u001b[2J\u001b[31mred\u0000' }] })) },
  { name: 'error entry with __proto__ key', act: (s) => s.send('{"type":"error","errors":[{"__proto__":{"errorType":"Polluted"},"constructor":{"prototype":{"x":1}}}]}') },
  { name: 'event nested 2,000 levels', act: (s) => s.deliver(nested(2_000)), nodeRefusesEvent: true },
  { name: 'event nested 120,000 levels', act: (s) => s.deliver(nested(120_000)), nodeRefusesEvent: true },
  { name: 'event with __proto__ and constructor keys', act: (s) => s.deliver('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}') },
  { name: 'event that is not JSON', act: (s) => s.deliver('not json {'), nodeRefusesEvent: true },
  { name: 'data, event is an object', act: (s) => s.send(json({ type: 'data', id: firstSub(s), event: { a: 1 } })) },
  { name: 'data, id is a number', act: (s) => s.send(json({ type: 'data', id: 7, event: '1' })) },
  { name: 'data, unknown id', act: (s) => s.send(json({ type: 'data', id: 'nobody', event: '"x"' })), forbidden: '"x"' },
  { name: 'data, no id', act: (s) => s.send(json({ type: 'data', event: '"y"' })), forbidden: '"y"' },
  { name: 'binary frame', act: (s) => s.send(Buffer.from([1, 2, 3, 0xff]), true) },
  { name: 'text frame that is not JSON', act: (s) => s.send('hello') },
  { name: 'frame null', act: (s) => s.send('null') },
  { name: 'frame is an array', act: (s) => s.send('[1,2,3]') },
  { name: 'frame is a number', act: (s) => s.send('42') },
  { name: 'frame is a string', act: (s) => s.send('"connection_ack"') },
  { name: 'unknown frame type', act: (s) => s.send(json({ type: 'surprise', id: firstSub(s) })) },
  { name: 'type is a number', act: (s) => s.send(json({ type: 123 })) },
  { name: 'subscribe_success without id', act: (s) => s.send(json({ type: 'subscribe_success' })) },
  { name: 'subscribe_success for an unknown id', act: (s) => s.send(json({ type: 'subscribe_success', id: 'unknown' })) },
  { name: 'subscribe_success repeated', act: (s) => s.send(json({ type: 'subscribe_success', id: firstSub(s) })) },
  { name: 'unsubscribe_success for an unknown id', act: (s) => s.send(json({ type: 'unsubscribe_success', id: 'unknown' })) },
  { name: 'duplicate connection_ack', act: (s) => s.send(json({ type: 'connection_ack', connectionTimeoutMs: 1 })) },
  { name: 'ka with extra fields', act: (s) => s.send(json({ type: 'ka', id: OBJECT, errors: OBJECT })) },
  { name: 'flood of 100,000 ka frames', act: (s) => { for (let i = 0; i < 100_000; i++) s.send('{"type":"ka"}'); } },
  { name: '50 MB frame', act: (s) => s.send(`{"type":"ka","pad":"${'p'.repeat(50 * 1024 * 1024)}"}`), replacesConnection: true },
  { name: 'text frame with invalid UTF-8', act: (s) => s.current?.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }), replacesConnection: true },
  {
    name: 'data before connection_ack',
    act: (s) => {
      const ids = [...s.subscriptions];
      onNextConnection((ws) => {
        for (const id of ids) ws.send(json({ type: 'data', id, event: '"early"' }));
        ws.send(json({ type: 'connection_ack', connectionTimeoutMs: 300000 }));
      })(s);
    },
    replacesConnection: true,
    forbidden: '"early"',
  },
  { name: 'connection_ack with connectionTimeoutMs 0', act: onNextConnection((ws) => ws.send(json({ type: 'connection_ack', connectionTimeoutMs: 0 }))), replacesConnection: true },
  { name: 'connection_ack with connectionTimeoutMs -1', act: onNextConnection((ws) => ws.send(json({ type: 'connection_ack', connectionTimeoutMs: -1 }))), replacesConnection: true },
  { name: 'connection_ack with connectionTimeoutMs 1e12', act: onNextConnection((ws) => ws.send(json({ type: 'connection_ack', connectionTimeoutMs: 1e12 }))), replacesConnection: true },
  { name: 'connection_ack with connectionTimeoutMs an object', act: onNextConnection((ws) => ws.send(json({ type: 'connection_ack', connectionTimeoutMs: OBJECT }))), replacesConnection: true },
  { name: 'publish_success without successful and failed', act: (s) => (s.nextPublishAnswer = (ws, f) => ws.send(json({ type: 'publish_success', id: f.id }))), failsNextPublish: true },
  { name: 'publish_success, successful is not an array', act: (s) => (s.nextPublishAnswer = (ws, f) => ws.send(json({ type: 'publish_success', id: f.id, successful: 'all', failed: [] }))), failsNextPublish: true },
  { name: 'publish_success, index out of range', act: (s) => (s.nextPublishAnswer = (ws, f) => ws.send(json({ type: 'publish_success', id: f.id, successful: [{ identifier: 'i', index: 9 }], failed: [] }))), failsNextPublish: true },
  { name: 'publish_success, nothing accounted for', act: (s) => (s.nextPublishAnswer = (ws, f) => ws.send(json({ type: 'publish_success', id: f.id, successful: [], failed: [] }))), failsNextPublish: true },
  { name: 'publish_error, errors of every type', act: (s) => (s.nextPublishAnswer = (ws, f) => ws.send(json({ type: 'publish_error', id: f.id, errors: [null, 1, 'x', [], { errorType: OBJECT }] }))), failsNextPublish: true },
  { name: 'error frame for the publish, object entries', act: (s) => (s.nextPublishAnswer = (ws, f) => ws.send(json({ type: 'error', id: f.id, errors: [{ errorType: OBJECT, message: OBJECT }] }))), failsNextPublish: true },
  { name: 'abrupt drop (no close frame)', act: (s) => s.current?.terminate(), replacesConnection: true },
  ...[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 1014, 3000, 4000, 4408, 4999].map(closeWith),
];
