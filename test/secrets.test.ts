import assert from 'node:assert/strict';
import { Events, EventsError, apiKeyAuthorizer, authTokenAuthorizer, iamAuthorizer, staticCredentials, type Logger } from '../src/client';
import { SecretScrubber } from '../src/client/redact';
import { FAST, startEmulator } from './support/fixtures';
import { waitFor } from './support/wait';

const SECRETS = {
  apiKey: 'da2-supersecretapikey0123456789',
  token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl',
  lambdaToken: 'lambda-secret-token-value',
  secretAccessKey: 'SECRETaccessKEYthatMustNeverLeak0123456',
  sessionToken: 'IQoJb3JpZ2luX2VjSESSIONTOKENneverLOG',
};

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => lines.push(m);
  return { logger: { error: push, warn: push, info: push, debug: push }, lines };
}

function assertClean(text: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS)) assert.ok(!text.includes(value), `${name} leaked into ${where}: ${text}`);
}

function errorText(err: unknown): string {
  const e = err as EventsError;
  return `${e.message}\n${e.stack ?? ''}\n${e.hint ?? ''}`;
}

describe('no secret in any log line or error', () => {
  it('scrubs known values and secret-shaped text', () => {
    const s = new SecretScrubber();
    s.addHeaders({ 'x-api-key': 'my-own-key-1234', host: 'example.com' });
    const text = s.scrub(
      "key my-own-key-1234, x-amz-security-token:FwoGZXIvYXdzEB, Authorization: Bearer abc.def, Signature=0123abcd, Credential=AKIAEXAMPLE/2020, da2-abcdefghijklmnopqrstuvwxyz, eyJa.eyJb.c, header-eyJob3N0IjoiZXhhbXBsZSJ9",
    );
    for (const leaked of ['my-own-key-1234', 'FwoGZXIvYXdzEB', 'abc.def', '0123abcd', 'AKIAEXAMPLE', 'da2-abcdefghijklmnopqrstuvwxyz', 'eyJa.eyJb.c', 'eyJob3N0IjoiZXhhbXBsZSJ9']) {
      assert.ok(!text.includes(leaked), `${leaked} in ${text}`);
    }
  });

  it('stays bounded over a long IAM session, and still scrubs what it saw last', () => {
    const s = new SecretScrubber();
    for (let i = 0; i < 10_000; i++) {
      s.addHeaders({
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/appsync/aws4_request, SignedHeaders=host, Signature=${i.toString(16).padStart(64, '0')}`,
        'x-amz-security-token': `session-token-${Math.floor(i / 1000)}`,
      });
    }
    assert.ok(s.size <= 100, `${s.size} secrets kept`);
    assert.equal(s.scrub('token session-token-9 leaked'), 'token [redacted] leaked');
    assert.doesNotMatch(s.scrub('Signature=00000000000000000000000000000000000000000000000000000000000000ff'), /ff/);
  });

  it('a whole session with refused and accepted credentials logs and throws nothing secret', async () => {
    // The emulator accepts none of these secrets, so every path ends in an error message from the service.
    const emulator = await startEmulator({ iam: [{ accessKeyId: 'AKIAOTHER', secretAccessKey: 'different', sessionToken: SECRETS.sessionToken }] });
    const { logger, lines } = capture();
    const errors: unknown[] = [];
    const events = new Events(emulator.httpUrl);
    const options = { ...FAST, logger, authRetryDelayMs: 50 };
    const iam = iamAuthorizer({ region: 'us-east-1', credentials: staticCredentials({ accessKeyId: 'AKIAOTHER', secretAccessKey: SECRETS.secretAccessKey, sessionToken: SECRETS.sessionToken }) });
    const clients = [
      events.createWebSocketClient(apiKeyAuthorizer(SECRETS.apiKey), options),
      events.createWebSocketClient(authTokenAuthorizer(SECRETS.token), options),
      events.createWebSocketClient(authTokenAuthorizer(SECRETS.lambdaToken), options),
      // Signature mismatch: the service answers with the canonical string, session token included (I-14001).
      events.createWebSocketClient(iam, options),
    ];
    const restClients = [events.createRestClient(apiKeyAuthorizer(SECRETS.apiKey), { logger }), events.createRestClient(iam, { logger, maxRetries: 0 })];
    try {
      const refusals = clients.map(() => 0);
      for (const [i, c] of clients.entries()) {
        c.onStateChange((s) => {
          if (s.status === 'failed' || s.status === 'reconnecting') {
            errors.push(s.error);
            refusals[i]!++;
          }
        });
        await c.connect().catch((e: unknown) => errors.push(e));
        await c.publish('default/x', [1]).catch((e: unknown) => errors.push(e));
      }
      for (const r of restClients) await r.publish('default/x', [1]).catch((e: unknown) => errors.push(e));
      // The fence: each client refused again on a retry (every 50 ms), whose errors and log lines are read too.
      await waitFor(() => refusals.every((n) => n >= 2), 'a retry of each client');
      assert.ok(errors.length >= 6, `expected errors, got ${errors.length}`);
      const mismatch = errors.find((e) => /signature we calculated/.test((e as Error).message));
      assert.ok(mismatch, 'the service echoed its canonical string');
      assert.ok(/x-amz-security-token:\[redacted\]/.test((mismatch as Error).message));
      for (const e of errors) assertClean(errorText(e), 'an error');
      assert.ok(lines.length > 0);
      for (const line of lines) assertClean(line, 'a log line');
    } finally {
      await Promise.all(clients.map((c) => c.disconnect(false)));
      restClients.forEach((r) => r.close());
      await emulator.stop();
    }
  });
});
