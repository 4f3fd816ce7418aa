import assert from 'node:assert/strict';
import { parseChannel } from '../src/protocol/channel';
import { ClientFrameEncoder } from '../src/protocol/client-frame';
import { EncodedEvents, chunkEvents, decodeAuthSubprotocol, encodeAuthSubprotocol, encodeEvent, encodeEvents, escapeForSigning } from '../src/protocol/encoding';
import { resolveEndpoints } from '../src/protocol/endpoint';
import { EventsError, fromServiceErrors } from '../src/protocol/errors';
import { clampConnectionTimeout, parseServerMessage } from '../src/protocol/server-message';
import { MAX_ERROR_ENTRIES, MAX_ERROR_MESSAGE_CHARS, sanitiseErrors } from '../src/protocol/service-errors';
import { parseErrorAnswer, parsePublishAnswer } from '../src/protocol/http-answer';
import { stringRecord } from '../src/protocol/client-message';
import type { ClientMessage } from '../src/protocol/messages';
import { nestedDeeperThan, receivedEventProblem } from '../src/protocol/received-event';
import { dataFrames, encodeServerMessage } from '../src/protocol/server-frame';
import { accountsForEvery, mergeChunkResults, publishStatus } from '../src/protocol/publish-result';
import { publishSigningBody, subscribeSigningBody } from '../src/protocol/signing-body';

function errorType(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EventsError, `expected an EventsError, got ${String(err)}`);
    return err.errorType;
  }
  assert.fail('expected an error');
}

describe('protocol: channels', () => {
  it('accepts 1 to 5 segments with optional leading and trailing slash, and normalises them', () => {
    assert.equal(parseChannel('default', 'publish').path, '/default');
    assert.equal(parseChannel('default/a', 'publish').path, '/default/a');
    assert.equal(parseChannel('/default/a/', 'publish').path, '/default/a');
    assert.equal(parseChannel('a/b/c/d/e', 'publish').path, '/a/b/c/d/e');
    assert.equal(parseChannel('ns/A-9/x', 'publish').namespace, 'ns');
    assert.equal(parseChannel('a'.repeat(50), 'publish').path, `/${'a'.repeat(50)}`);
  });

  it('rejects names that break the rule', () => {
    for (const bad of ['', '/', 'a/b/c/d/e/f', 'a//b', '-a', 'a-', 'a_b', 'a b', 'ä', 'a'.repeat(51), 'a/b.c']) {
      assert.equal(errorType(() => parseChannel(bad, 'publish')), 'InvalidChannel', bad);
    }
    assert.equal(errorType(() => parseChannel(42, 'publish')), 'InvalidChannel');
  });

  it('allows a wildcard only as the last segment of a subscription', () => {
    assert.deepEqual(parseChannel('default/*', 'subscribe'), { path: '/default/*', segments: ['default', '*'], namespace: 'default', wildcard: true });
    assert.equal(parseChannel('a/b/c/d/*', 'subscribe').wildcard, true);
    assert.equal(errorType(() => parseChannel('default/*', 'publish')), 'InvalidChannel');
    assert.equal(errorType(() => parseChannel('*', 'subscribe')), 'InvalidChannel');
    assert.equal(errorType(() => parseChannel('a/*/b', 'subscribe')), 'InvalidChannel');
    assert.equal(errorType(() => parseChannel('a/b*', 'subscribe')), 'InvalidChannel');
    assert.equal(errorType(() => parseChannel('a/b/c/d/e/*', 'subscribe')), 'InvalidChannel');
  });
});

describe('protocol: endpoints', () => {
  it('derives the realtime URL and region of a standard endpoint', () => {
    const e = resolveEndpoints({ url: 'https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/event' });
    assert.equal(e.realtimeUrl, 'wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.eu-west-1.amazonaws.com/event/realtime');
    assert.equal(e.httpHost, 'abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com');
    assert.equal(e.region, 'eu-west-1');
  });

  it('handles China, custom domains, the emulator and pasted realtime URLs', () => {
    assert.equal(resolveEndpoints({ url: 'https://abc.appsync-api.cn-north-1.amazonaws.com.cn/event' }).region, 'cn-north-1');
    const custom = resolveEndpoints({ url: 'https://api.example.com/event' });
    assert.equal(custom.realtimeUrl, 'wss://api.example.com/event/realtime');
    assert.equal(custom.region, undefined);
    assert.equal(resolveEndpoints({ url: 'https://api.example.com/event', region: 'us-west-2' }).region, 'us-west-2');
    const local = resolveEndpoints({ url: 'http://127.0.0.1:4010/event' });
    assert.equal(local.realtimeUrl, 'ws://127.0.0.1:4010/event/realtime');
    assert.equal(local.httpHost, '127.0.0.1:4010');
    assert.equal(resolveEndpoints({ url: 'http://127.0.0.1:4010' }).httpUrl, 'http://127.0.0.1:4010/event');
    const pasted = resolveEndpoints({ url: 'wss://abc.appsync-realtime-api.us-east-1.amazonaws.com/event/realtime' });
    assert.equal(pasted.httpUrl, 'https://abc.appsync-api.us-east-1.amazonaws.com/event');
    assert.equal(resolveEndpoints({ url: 'https://api.example.com/event', realtimeUrl: 'https://rt.example.com/event/realtime' }).realtimeUrl, 'wss://rt.example.com/event/realtime');
  });

  it('refuses what is not an endpoint', () => {
    assert.equal(errorType(() => resolveEndpoints({ url: 'not a url' })), 'InvalidEndpoint');
    assert.equal(errorType(() => resolveEndpoints({ url: 'ftp://example.com/event' })), 'InvalidEndpoint');
  });
});

describe('protocol: events and encoding', () => {
  it('encodes every JSON value as its JSON text', () => {
    assert.deepEqual(encodeEvents([{ a: 1 }, 'hello', 37, true, null, [1, 2]]), ['{"a":1}', '"hello"', '37', 'true', 'null', '[1,2]']);
  });

  it('refuses values that are not JSON, naming the index', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const bad of [undefined, () => 1, Symbol('s'), 10n, { n: 10n }, circular]) {
      assert.equal(errorType(() => encodeEvent(bad)), 'InvalidEvent');
    }
    assert.throws(() => encodeEvents([1, undefined]), /event 1 cannot be sent as JSON: it is undefined/);
    assert.throws(() => encodeEvents([circular]), /circular/);
    assert.equal(errorType(() => encodeEvents([])), 'EmptyBatch');
    // Events already encoded (a stored publish) pass as they are, checked for the size limit only.
    assert.deepEqual(encodeEvents(new EncodedEvents(['{"a":1}', '"é"'])), ['{"a":1}', '"é"']);
    assert.equal(errorType(() => encodeEvents(new EncodedEvents([]))), 'EmptyBatch');
    assert.equal(errorType(() => encodeEvents(new EncodedEvents(['"a"', JSON.stringify('x'.repeat(240 * 1024))]))), 'EventTooLarge');
  });

  it('refuses events over 240 KB', () => {
    assert.equal(encodeEvent('x'.repeat(240 * 1024 - 2)).length, 240 * 1024);
    assert.equal(errorType(() => encodeEvent('x'.repeat(240 * 1024 - 1))), 'EventTooLarge');
    assert.equal(errorType(() => encodeEvent('é'.repeat(130 * 1024))), 'EventTooLarge');
  });

  it('escaping for an IAM signature keeps the JSON value and leaves no HTML-unsafe or non-ASCII character', () => {
    const value = { s: `<a href='x'>&=é😀\u2028"\\/` };
    const [text] = escapeForSigning([encodeEvent(value)]);
    assert.match(text, /^[\x20-\x7e]*$/);
    assert.doesNotMatch(text, /[<>&=']/);
    assert.deepEqual(JSON.parse(text), value);
  });

  it('splits batches into requests of at most 5, in order', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(chunkEvents(twelve), [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]);
    assert.deepEqual(chunkEvents([1]), [[1]]);
  });

  it('maps chunk results back to the caller indices', () => {
    const merged = mergeChunkResults([
      { offset: 0, result: { successful: [{ identifier: 'a', index: 0 }], failed: [] } },
      { offset: 5, result: { successful: [{ identifier: 'b', index: 1 }], failed: [{ identifier: 'c', index: 0, code: 'X', message: 'm' }] } },
    ]);
    assert.deepEqual(merged.successful.map((s) => s.index), [0, 6]);
    assert.deepEqual(merged.failed.map((f) => f.index), [5]);
    assert.equal(publishStatus(merged), 'partial');
    assert.equal(publishStatus({ successful: [], failed: [] }), 'successful');
  });

  it('encodes the auth subprotocol as unpadded base64url of UTF-8 JSON', () => {
    const headers = { host: 'example.com', Authorization: 'tökén?>>' };
    const encoded = encodeAuthSubprotocol(headers);
    assert.match(encoded, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeAuthSubprotocol(encoded), headers);
    // The documented example (D-WS) decodes to its documented object.
    assert.deepEqual(
      decodeAuthSubprotocol('eyJob3N0IjoiZXhhbXBsZTEyMzQ1Njc4OTAwMDAuYXBwc3luYy1hcGkudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20iLCJ4LWFwaS1rZXkiOiJkYTItMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTYifQ'),
      { host: 'example1234567890000.appsync-api.us-east-1.amazonaws.com', 'x-api-key': 'da2-12345678901234567890123456' },
    );
  });

  it('builds the signed bodies in the service order, with "/" unescaped', () => {
    assert.equal(subscribeSigningBody('/default/a'), '{"channel":"/default/a"}');
    assert.equal(publishSigningBody('/default/a', ['{"x":"/"}']), '{"channel":"/default/a","events":["{\\"x\\":\\"/\\"}"]}');
  });
});

describe('protocol: client frames', () => {
  it('writes every frame as the JSON of its message, and follows an authorization that changes in place', () => {
    const encoder = new ClientFrameEncoder();
    const authorization: Record<string, string> = { 'x-amz-date': '20261130T000000Z', 'x-api-key': 'da2-one' };
    const tricky = ['{"q":"\\"quoted\\" \\\\ back"}', '"\u2028 é 😀 </script>"', '[1,{"a":null}]'];
    const frames: ClientMessage[] = [
      { type: 'connection_init' },
      { type: 'subscribe', id: 'sub-1', channel: '/default/*', authorization },
      { type: 'publish', id: 'p-1', channel: '/default/a"b', events: tricky, authorization },
      { type: 'publish', id: 'p-2', channel: '/default/a', events: ['1'], authorization },
      { type: 'unsubscribe', id: 'sub-1' },
    ];
    for (const message of frames) assert.deepEqual(JSON.parse(encoder.encode(message)), JSON.parse(JSON.stringify(message)));
    authorization['x-api-key'] = 'da2-two';
    const renewed = encoder.encode({ type: 'publish', id: 'p-3', channel: '/default/a', events: ['2'], authorization });
    assert.equal(renewed, JSON.stringify({ type: 'publish', id: 'p-3', channel: '/default/a', events: ['2'], authorization }));
    const extra = { ...authorization, 'x-amz-security-token': 'tok' };
    assert.equal(JSON.parse(encoder.encode({ type: 'publish', id: 'p-4', channel: '/default/a', events: ['3'], authorization: extra })).authorization['x-amz-security-token'], 'tok');
    const fewer = { 'x-api-key': 'da2-two' };
    assert.deepEqual(JSON.parse(encoder.encode({ type: 'publish', id: 'p-5', channel: '/default/a', events: ['4'], authorization: fewer })).authorization, fewer);
  });
});

describe('protocol: server messages and errors', () => {
  it('parses each message type and reports malformed frames', () => {
    assert.deepEqual(parseServerMessage('{"type":"connection_ack","connectionTimeoutMs":300000}'), { type: 'connection_ack', connectionTimeoutMs: 300000 });
    assert.deepEqual(parseServerMessage('{"type":"data","id":"s1","event":"{\\"a\\":1}"}'), { type: 'data', id: 's1', event: '{"a":1}' });
    const failed = parseServerMessage('{"id":"p","type":"publish_success","successful":[],"failed":[{"identifier":"i","index":0,"code":"EventTooLargeException","message":"m"}]}');
    assert.ok(failed.type === 'publish_success' && failed.failed[0]?.code === 'EventTooLargeException');
    assert.deepEqual(parseServerMessage('{"type":"subscribe_error","id":"s","errors":[{"errorType":"UnauthorizedException"}]}'), { type: 'subscribe_error', id: 's', errors: [{ errorType: 'UnauthorizedException' }] });
    for (const bad of ['nope', '[]', '{"type":"data","id":"s1"}', '{"type":"data","event":"1"}', '{"type":"subscribe_success"}', '{"type":"mystery","id":"x"}']) {
      assert.equal(parseServerMessage(bad).type, 'invalid', bad);
    }
  });

  it('keeps the service errorType, code and message, and says whether a retry helps', () => {
    const e = fromServiceErrors([{ errorType: 'UnauthorizedException', errorCode: 401 }, { errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.', errorCode: 401 }], 'fallback');
    assert.equal(e.errorType, 'UnauthorizedException');
    assert.equal(e.code, 401);
    assert.equal(e.message, 'UnauthorizedException: You are not authorized to make this call.');
    assert.equal(e.retryable, false);
    assert.ok(e.isAuthError);
    assert.ok(e.hint);
    assert.equal(fromServiceErrors([{ errorType: 'LimitExceededError' }], 'slow down').retryable, true);
    assert.equal(fromServiceErrors(undefined, 'nothing').errorType, 'UnknownError');
  });
});

describe('protocol: the boundary holds against malformed input', () => {
  const hostile = { toString: 1, valueOf: 1 };

  it('reduces error entries to short printable strings and finite codes', () => {
    const errors = sanitiseErrors([{ errorType: hostile, message: hostile, errorCode: hostile }, null, 'x', { errorType: 'Bad Type!', message: `a\u001b[2Jb${'m'.repeat(3_000)}`, errorCode: 1e300 }, ...Array(20).fill({})]);
    // The first MAX_ERROR_ENTRIES entries are read; the two that are not objects are dropped.
    assert.equal(errors.length, MAX_ERROR_ENTRIES - 2);
    assert.deepEqual(errors[0], {});
    assert.equal(errors[1]?.errorType, undefined);
    assert.equal(errors[1]?.errorCode, undefined);
    assert.doesNotMatch(errors[1]!.message!, /\u001b/);
    assert.ok(errors[1]!.message!.length <= MAX_ERROR_MESSAGE_CHARS + 1);
    assert.deepEqual(sanitiseErrors('boom'), []);
    // An error from such entries is an ordinary EventsError, never a TypeError.
    assert.equal(fromServiceErrors(errors, 'fallback').errorType, 'UnknownError');
  });

  it('clamps connectionTimeoutMs: no reconnect storm, no timer overflow', () => {
    for (const [given, expected] of [[0, 10_000], [-1, 10_000], [1e12, 3_600_000], ['300000', 300_000], [hostile, 300_000], [Number.NaN, 300_000], [120_000, 120_000]] as const) {
      const ack = parseServerMessage(JSON.stringify({ type: 'connection_ack', connectionTimeoutMs: given }));
      assert.ok(ack.type === 'connection_ack' && ack.connectionTimeoutMs === expected, `${JSON.stringify(given)} → ${JSON.stringify(ack)}`);
    }
    assert.equal(clampConnectionTimeout(undefined), 300_000);
  });

  it('refuses publish_success answers that do not list every event as an array of entries', () => {
    for (const bad of [{}, { successful: 'all', failed: [] }, { successful: [], failed: null }, { successful: [{ identifier: 'i', index: 7 }], failed: [] }, { successful: [{ identifier: 'i', index: '0' }], failed: [] }]) {
      const parsed = parseServerMessage(JSON.stringify({ type: 'publish_success', id: 'p1', ...bad }));
      assert.ok(parsed.type === 'invalid' && parsed.id === 'p1', JSON.stringify(bad));
    }
    assert.ok(!accountsForEvery({ successful: [{ identifier: 'a', index: 0 }], failed: [] }, 2));
    assert.ok(!accountsForEvery({ successful: [{ identifier: 'a', index: 0 }], failed: [{ identifier: 'b', index: 0 }] }, 2));
    assert.ok(accountsForEvery({ successful: [{ identifier: 'a', index: 1 }], failed: [{ identifier: 'b', index: 0 }] }, 2));
    assert.deepEqual(parsePublishAnswer('{"successful":[]}', 1), { invalid: 'the publish answer has no valid successful and failed lists' });
    assert.deepEqual(parseErrorAnswer('{"errors":[{"errorType":{"a":1}}]}'), [{}]);
  });

  it('keeps only ids of the documented form on answers; a __proto__ key in a frame stays a plain key', () => {
    assert.equal(parseServerMessage('{"type":"subscribe_success","id":"has space"}').type, 'invalid');
    assert.equal(parseServerMessage('{"type":"subscribe_success","id":7}').type, 'invalid');
    const data = parseServerMessage('{"type":"data","id":"s","event":"1","__proto__":{"x":1}}');
    assert.ok(data.type === 'data' && data.event === '1');
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.equal(({} as { x?: number }).x, undefined);
  });

  it('decodes a connect authorization that is not base64 JSON to undefined, never a throw', () => {
    assert.equal(decodeAuthSubprotocol('%%%'), undefined);
    assert.deepEqual(stringRecord(decodeAuthSubprotocol(Buffer.from('[1]').toString('base64url'))), {});
    assert.deepEqual(stringRecord({ 'x-api-key': 1, host: 'h' }), { host: 'h' });
  });

  it('finds events nested too deep for Node-RED with one scan, ignoring brackets in strings', () => {
    assert.equal(nestedDeeperThan('['.repeat(101) + ']'.repeat(101)), true);
    assert.equal(nestedDeeperThan('['.repeat(100) + ']'.repeat(100)), false);
    assert.equal(nestedDeeperThan(JSON.stringify({ s: '['.repeat(500) })), false);
    assert.equal(nestedDeeperThan(JSON.stringify({ s: '"\\[' + '['.repeat(500) })), false);
    assert.match(receivedEventProblem('['.repeat(2_000) + ']'.repeat(2_000), true) ?? '', /100 levels/);
    assert.equal(receivedEventProblem('['.repeat(2_000) + ']'.repeat(2_000), false), undefined);
    assert.match(receivedEventProblem(`"${'x'.repeat(1024 * 1024)}"`, false) ?? '', /characters long/);
  });
});

describe('protocol: what is published is what the user gave', () => {
  it('counts 240 KB on the unescaped text: 50,000 "€" (150 KB) are accepted', () => {
    const text = encodeEvent('€'.repeat(50_000));
    assert.equal(Buffer.byteLength(text), 150_002);
    assert.equal(text, `"${'€'.repeat(50_000)}"`);
  });

  it('escapes only for an IAM-signed WebSocket body, keeping the value', () => {
    const [escaped] = escapeForSigning(['{"a":"<€>"}']);
    assert.equal(escaped, '{"a":"\\u003c\\u20ac\\u003e"}');
    assert.deepEqual(JSON.parse(escaped!), { a: '<€>' });
  });

  it('reads a Buffer as UTF-8 JSON text and refuses any other', () => {
    assert.equal(encodeEvent(Buffer.from('{ "t": 21.5 }')), '{"t":21.5}');
    assert.equal(encodeEvent(Buffer.from('"text"')), '"text"');
    assert.throws(() => encodeEvent(Buffer.from([0, 1, 2])), /Buffer payload must hold UTF-8 JSON text/);
    assert.throws(() => encodeEvent(Buffer.from([0x22, 0xff, 0x22])), /Buffer payload/);
  });

  it('refuses NaN and Infinity anywhere instead of sending null', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, { t: Number.NEGATIVE_INFINITY }, [1, Number.NaN]]) {
      assert.throws(() => encodeEvent(bad), (err: EventsError) => err.errorType === 'InvalidEvent' && /is not a JSON value/.test(err.message));
    }
  });

  it('names a channel of the wrong type without calling its toString', () => {
    assert.throws(() => parseChannel({ toString: 1 }, 'publish'), /a channel must be a string, not an object/);
    assert.throws(() => parseChannel(null, 'subscribe'), /not null/);
    assert.throws(() => parseChannel(['a'], 'subscribe'), /not an array/);
  });

  it('calls a signature mismatch an auth error, with a hint about keys and clocks', () => {
    const e = fromServiceErrors([{ errorType: 'BadRequestException', message: 'The request signature we calculated does not match the signature you provided.' }], 'x');
    assert.ok(e.isAuthError);
    assert.match(e.hint ?? '', /clock/);
    assert.equal(fromServiceErrors([{ errorType: 'BadRequestException', message: 'Invalid Channel Format' }], 'x').isAuthError, false);
  });

  it('frames a data event for many subscriptions exactly as JSON.stringify would', () => {
    const frame = dataFrames('{"a":"\\"<x>\\""}');
    for (const id of ['s1', 'a"b']) assert.equal(frame(id), encodeServerMessage({ type: 'data', id, event: '{"a":"\\"<x>\\""}' }));
  });
});
