import assert from 'node:assert/strict';
import { verifySigV4, type SignedRequest } from '../src/emulator/sigv4-verifier';

// AWS Signature Version 4 test suite (aws-sig-v4-test-suite: AKIDEXAMPLE, 20150830T123600Z, us-east-1,
// service "service"). Each expected signature is the one in the suite's .authz file.
const KEY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const OPTIONS = { region: 'us-east-1', service: 'service', lookup: (id: string) => (id === KEY.accessKeyId ? KEY : undefined), maxSkewMs: Infinity };
const BASE = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };

function authz(signedHeaders: string, signature: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

const VECTORS: Array<{ name: string; request: SignedRequest }> = [
  {
    name: 'get-vanilla',
    request: { method: 'GET', path: '/', query: '', body: '', headers: { ...BASE, Authorization: authz('host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31') } },
  },
  {
    name: 'post-vanilla',
    request: { method: 'POST', path: '/', query: '', body: '', headers: { ...BASE, Authorization: authz('host;x-amz-date', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b') } },
  },
  {
    // A POST with a body. The suite's .creq lists content-length, which its own .sts and .authz do not
    // sign; the .authz signature (SignedHeaders=content-type;host;x-amz-date) is the consistent one.
    name: 'post-x-www-form-urlencoded',
    request: {
      method: 'POST',
      path: '/',
      query: '',
      body: 'Param1=value1',
      headers: { ...BASE, 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authz('content-type;host;x-amz-date', 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a') },
    },
  },
  {
    name: 'get-header-value-trim',
    request: {
      method: 'GET',
      path: '/',
      query: '',
      body: '',
      headers: { ...BASE, 'My-Header1': ' value1 ', 'My-Header2': ' "a   b   c" ', Authorization: authz('host;my-header1;my-header2;x-amz-date', 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736') },
    },
  },
  {
    name: 'get-vanilla-query-order-key-case',
    request: { method: 'GET', path: '/', query: 'Param2=value2&Param1=value1', body: '', headers: { ...BASE, Authorization: authz('host;x-amz-date', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500') } },
  },
];

describe('emulator SigV4 verifier against the AWS test-suite vectors', () => {
  for (const { name, request } of VECTORS) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(verifySigV4(request, OPTIONS), { ok: true, accessKeyId: 'AKIDEXAMPLE' });
    });
  }

  const post = VECTORS[2]!.request;

  it('refuses a changed body, method, path, header or secret', () => {
    assert.equal(verifySigV4({ ...post, body: 'Param1=value2' }, OPTIONS).ok, false);
    assert.equal(verifySigV4({ ...post, method: 'PUT' }, OPTIONS).ok, false);
    assert.equal(verifySigV4({ ...post, path: '/event' }, OPTIONS).ok, false);
    assert.equal(verifySigV4({ ...post, headers: { ...post.headers, 'Content-Type': 'application/json' } }, OPTIONS).ok, false);
    const wrongSecret = { ...OPTIONS, lookup: () => ({ ...KEY, secretAccessKey: 'other' }) };
    const result = verifySigV4(post, wrongSecret);
    assert.ok(!result.ok && result.errorType === 'BadRequestException' && /signature we calculated does not match/.test(result.message));
  });

  it('refuses an unknown key, a wrong region or service, a missing signed header and a stale date', () => {
    assert.equal(verifySigV4(post, { ...OPTIONS, lookup: () => undefined }).ok, false);
    assert.equal(verifySigV4(post, { ...OPTIONS, region: 'eu-west-1' }).ok, false);
    assert.equal(verifySigV4(post, { ...OPTIONS, service: 'appsync' }).ok, false);
    const { 'Content-Type': _dropped, ...noContentType } = post.headers as Record<string, string>;
    assert.equal(verifySigV4({ ...post, headers: noContentType }, OPTIONS).ok, false);
    const stale = verifySigV4(post, { ...OPTIONS, maxSkewMs: 15 * 60_000, now: new Date('2015-08-30T13:00:00Z') });
    assert.ok(!stale.ok && /expired/.test(stale.message));
    assert.equal(verifySigV4(post, { ...OPTIONS, maxSkewMs: 15 * 60_000, now: new Date('2015-08-30T12:40:00Z') }).ok, true);
  });

  it('requires the session token of temporary credentials', () => {
    const withToken = { ...OPTIONS, lookup: () => ({ ...KEY, sessionToken: 'TOKEN' }) };
    const result = verifySigV4(post, withToken);
    assert.ok(!result.ok && result.errorType === 'UnauthorizedException');
  });
});
