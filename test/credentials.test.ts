import assert from 'node:assert/strict';
import { Events, EventsError, assumeRoleCredentials, cachedCredentials, defaultCredentialChain, iamAuthorizer, staticCredentials } from '../src/client';
import type { Emulator } from '../src/emulator';
import { FAST, IAM_KEY, startEmulator } from './support/fixtures';
import { startSts } from './support/sts-server';
import { Collector, waitFor } from './support/wait';

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE'] as const;

describe('AWS credentials for IAM', () => {
  let emulator: Emulator | undefined;
  const saved: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
  before(() => {
    for (const k of ENV_KEYS) saved[k] = process.env[k];
  });
  afterEach(async () => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await emulator?.stop();
    emulator = undefined;
  });

  it('static keys need both parts', async () => {
    await assert.rejects(staticCredentials({ accessKeyId: 'A', secretAccessKey: ' ' })(), (err: EventsError) => err.errorType === 'CredentialsError');
  });

  it('the default chain reads the environment, and signs requests the emulator accepts', async () => {
    emulator = await startEmulator();
    process.env.AWS_ACCESS_KEY_ID = IAM_KEY.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = IAM_KEY.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    const events = new Events(emulator.httpUrl);
    const authorizer = iamAuthorizer({ region: 'us-east-1', credentials: defaultCredentialChain() });
    const ws = events.createWebSocketClient(authorizer, FAST);
    const rest = events.createRestClient(authorizer);
    try {
      const got = new Collector<unknown>();
      await ws.subscribe('default/chain', { onEvent: got.push }).ready;
      await rest.publish('default/chain', [{ via: 'http <b>' }]);
      await ws.publish('default/chain', [{ via: 'ws <b>' }]);
      assert.deepEqual(await got.waitFor(2), [{ via: 'http <b>' }, { via: 'ws <b>' }]);
    } finally {
      await ws.disconnect();
      rest.close();
    }
  });

  it('the default chain reads a named profile from the shared credentials file', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'aws-'));
    await writeFile(join(dir, 'credentials'), `[flows]\naws_access_key_id = ${IAM_KEY.accessKeyId}\naws_secret_access_key = ${IAM_KEY.secretAccessKey}\n`);
    await writeFile(join(dir, 'config'), '');
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const) delete process.env[k];
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    const c = await defaultCredentialChain({ profile: 'flows' })();
    assert.equal(c.accessKeyId, IAM_KEY.accessKeyId);
  });

  it('AssumeRole on top of base credentials: signs STS with the base keys and AppSync with the role', async () => {
    const roleCreds = { accessKeyId: 'ASIAROLEEXAMPLE00001', secretAccessKey: 'roleSecret', sessionToken: 'roleSessionToken' };
    const sts = await startSts(IAM_KEY, roleCreds);
    emulator = await startEmulator({ iam: [roleCreds] });
    const credentials = assumeRoleCredentials(staticCredentials(IAM_KEY), {
      roleArn: 'arn:aws:iam::123456789012:role/publisher',
      externalId: 'ext-1',
      sessionName: 'flows',
      region: 'us-east-1',
      stsEndpoint: sts.url,
    });
    const client = new Events(emulator.httpUrl).createWebSocketClient(iamAuthorizer({ region: 'us-east-1', credentials }), FAST);
    try {
      const got = new Collector<unknown>();
      await client.subscribe('default/role', { onEvent: got.push }).ready;
      await client.publish('default/role', [1]);
      assert.deepEqual(await got.waitFor(1), [1]);
      assert.deepEqual(sts.calls, [{ roleArn: 'arn:aws:iam::123456789012:role/publisher', externalId: 'ext-1', sessionName: 'flows' }], 'one AssumeRole, cached');
    } finally {
      await client.disconnect();
      await sts.close();
    }
  });

  it('AssumeRole credentials are refreshed before they expire', async () => {
    const roleCreds = { accessKeyId: 'ASIAROLEEXAMPLE00002', secretAccessKey: 'roleSecret', sessionToken: 'token' };
    const sts = await startSts(IAM_KEY, roleCreds, 60_000);
    try {
      const credentials = assumeRoleCredentials(staticCredentials(IAM_KEY), { roleArn: 'arn:aws:iam::123456789012:role/r', region: 'us-east-1', stsEndpoint: sts.url, refreshBeforeMs: 30_000 });
      await credentials();
      await credentials();
      assert.equal(sts.calls.length, 1, 'still fresh');
      const soon = assumeRoleCredentials(staticCredentials(IAM_KEY), { roleArn: 'arn:aws:iam::123456789012:role/r', region: 'us-east-1', stsEndpoint: sts.url, refreshBeforeMs: 120_000 });
      await soon();
      await soon();
      // Still valid, so the caller gets them at once while the renewal runs in the background.
      await waitFor(() => sts.calls.length === 3, 'within the refresh margin: fetched again');
    } finally {
      await sts.close();
    }
  });

  it('a refused AssumeRole is a CredentialsError naming the role, not the keys', async () => {
    const sts = await startSts(IAM_KEY, { accessKeyId: 'A', secretAccessKey: 'B', sessionToken: 'C' });
    try {
      const bad = assumeRoleCredentials(staticCredentials({ ...IAM_KEY, secretAccessKey: 'wrong-secret-value' }), { roleArn: 'arn:aws:iam::123456789012:role/r', region: 'us-east-1', stsEndpoint: sts.url });
      await assert.rejects(bad(), (err: EventsError) => err.errorType === 'CredentialsError' && /role\/r/.test(err.message) && !err.message.includes('wrong-secret-value'));
      assert.throws(() => assumeRoleCredentials(staticCredentials(IAM_KEY), { roleArn: 'not-an-arn', region: 'us-east-1' }), /IAM role ARN/);
    } finally {
      await sts.close();
    }
  });

  it('cachedCredentials shares one fetch among concurrent callers', async () => {
    let fetches = 0;
    const provider = cachedCredentials(async () => (fetches++, { accessKeyId: 'a', secretAccessKey: 'b' }));
    await Promise.all([provider(), provider(), provider()]);
    await provider();
    assert.equal(fetches, 1);
  });
});
