import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readApiConfig, type ApiConfig } from './api-config';
import { tlsFiles } from './certificates';
import type { NamespaceConfig } from './namespaces';
import { createEmulator, type EmulatorOptions } from './server';

const USAGE = `Usage: appsync-events-local [options]

A local AWS AppSync Events server: POST /event and the WebSocket at /event/realtime.

  --config FILE               the API as JSON: apiKeys, tokens, iam, lambdaAuthorizer, namespaces with
                              publishAuthModes, subscribeAuthModes and codeHandlers (paths relative to
                              the file); the other options add to it
  --host HOST                 address to listen on (default 127.0.0.1)
  --port PORT                 port (default 4010; 0 picks a free one)
  --region REGION             region for IAM signatures (default us-east-1)
  --api-key KEY               accepted API key (repeatable; one is generated if no auth option is given)
  --token TOKEN               accepted Cognito/OIDC/Lambda token (repeatable)
  --iam ID:SECRET[:TOKEN]     accepted IAM access key (repeatable)
  --namespace NAME[:FILE]     channel namespace (repeatable, default "default"), with the code handlers
                              in FILE (an APPSYNC_JS module) if given
  --user NAME:PASSWORD        a user of the Cognito user pool stand-in (repeatable)
  --client ID[:SECRET]        an app client; with a secret also an OAuth2 client (repeatable)
  --identity-pool ID          a Cognito identity pool that allows guests (repeatable)
  --user-pool-id ID           the user pool the stand-in plays (default <region>_LocalPool1)
  --token-ttl SECONDS         lifetime of the tokens and keys the stand-ins issue (default 3600)
                              Point the AWS SDK at the stand-ins with AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER
                              and AWS_ENDPOINT_URL_COGNITO_IDENTITY set to the base URL; OAuth2: <base>/oauth2/token
  --tls-cert FILE             serve https/wss with this certificate (PEM)
  --tls-key FILE              ... and this private key (PEM)
  --tls-generate DIR          serve https/wss with a private CA made in DIR (ca.pem, cert.pem, key.pem;
                              kept and used again): point a tls-config node's CA at DIR/ca.pem
  --ka-interval MS            keep-alive interval (default 60000)
  --connection-timeout MS     connectionTimeoutMs sent in connection_ack (default 300000)
  --max-subscriptions N       subscriptions per connection (default 200, AppSync's quoted quota);
                              the next is refused with MaxSubscriptionsReachedError
  --publish-rate N            publish requests per second per connection (default 25, AppSync's quoted
                              quota; 0: no limit); more are refused with LimitExceededError
  --help                      show this text
`;

function fail(message: string): never {
  process.stderr.write(`appsync-events-local: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** `--namespace NAME` or `--namespace NAME:FILE` (a namespace name has no colon). */
function namespaceOption(spec: string): string | NamespaceConfig {
  const colon = spec.indexOf(':');
  return colon < 0 ? spec : { name: spec.slice(0, colon), codeHandlers: resolve(spec.slice(colon + 1)) };
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`${name} must be a whole number, not "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        region: { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        token: { type: 'string', multiple: true },
        iam: { type: 'string', multiple: true },
        namespace: { type: 'string', multiple: true },
        user: { type: 'string', multiple: true },
        client: { type: 'string', multiple: true },
        'identity-pool': { type: 'string', multiple: true },
        'user-pool-id': { type: 'string' },
        'token-ttl': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-generate': { type: 'string' },
        'ka-interval': { type: 'string' },
        'connection-timeout': { type: 'string' },
        'max-subscriptions': { type: 'string' },
        'publish-rate': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) fail('--tls-cert and --tls-key go together');
  if (values['tls-generate'] && values['tls-cert']) fail('--tls-generate makes its own certificate: leave out --tls-cert and --tls-key');
  const iam = (values.iam ?? []).map((spec) => {
    const [accessKeyId, secretAccessKey, ...token] = spec.split(':');
    if (!accessKeyId || !secretAccessKey) fail('--iam takes ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]');
    return { accessKeyId, secretAccessKey, sessionToken: token.length ? token.join(':') : undefined };
  });
  const users = (values.user ?? []).map((spec) => {
    const colon = spec.indexOf(':');
    if (colon < 1) fail('--user takes NAME:PASSWORD');
    return { username: spec.slice(0, colon), password: spec.slice(colon + 1) };
  });
  const clients = (values.client ?? []).map((spec) => {
    const [clientId = '', ...secret] = spec.split(':');
    if (!clientId) fail('--client takes ID or ID:SECRET');
    return { clientId, clientSecret: secret.length ? secret.join(':') : undefined };
  });
  const maxSubscriptions = integer(values['max-subscriptions'], '--max-subscriptions');
  if (maxSubscriptions === 0) fail('--max-subscriptions must be at least 1');
  const tokenTtl = integer(values['token-ttl'], '--token-ttl');
  if (tokenTtl === 0) fail('--token-ttl must be at least 1 second');
  let config: ApiConfig = {};
  if (values.config) {
    try {
      config = readApiConfig(values.config);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const both = <T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined => (a || b ? [...(a ?? []), ...(b ?? [])] : undefined);
  const options: EmulatorOptions = {
    host: values.host ?? '127.0.0.1',
    port: integer(values.port, '--port') ?? 4010,
    region: values.region,
    apiKeys: both(config.apiKeys, values['api-key']),
    tokens: both(config.tokens, values.token),
    iam: both(config.iam, iam),
    namespaces: both<string | NamespaceConfig>(config.namespaces, values.namespace?.map(namespaceOption)),
    lambdaAuthorizer: config.lambdaAuthorizer,
    log: (line) => process.stderr.write(`appsync-events-local: ${line}\n`),
    users,
    clients,
    identityPools: (values['identity-pool'] ?? []).map((identityPoolId) => ({ identityPoolId })),
    userPoolId: values['user-pool-id'],
    tokenTtlSeconds: tokenTtl,
    keepAliveIntervalMs: integer(values['ka-interval'], '--ka-interval'),
    connectionTimeoutMs: integer(values['connection-timeout'], '--connection-timeout'),
    maxSubscriptionsPerConnection: maxSubscriptions ?? config.maxSubscriptionsPerConnection,
    publishRequestsPerSecond: integer(values['publish-rate'], '--publish-rate') ?? config.publishRequestsPerSecond,
  };
  if (values['tls-cert'] && values['tls-key']) {
    options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
  }
  const generateDir = values['tls-generate'];
  if (generateDir) {
    const files = tlsFiles(resolve(generateDir), [...new Set(['localhost', '127.0.0.1', '::1', options.host ?? '127.0.0.1'])]);
    options.tls = { cert: files.cert, key: files.key };
    process.stderr.write(`appsync-events-local: ${files.created ? 'made' : 'using'} a private CA: trust ${join(resolve(generateDir), 'ca.pem')} (a tls-config node's CA certificate)\n`);
  }
  const emulator = await createEmulator(options);
  process.stdout.write(`${emulator.httpUrl}\n`);
  if (!options.apiKeys?.length && emulator.apiKeys.length) process.stdout.write(`api key: ${emulator.apiKeys[0]}\n`);
  process.stderr.write(`appsync-events-local: realtime ${emulator.realtimeUrl}, region ${emulator.region}, namespaces ${(options.namespaces ?? ['default']).map((n) => (typeof n === 'string' ? n : n.name)).join(', ')}\n`);
  if (users.length || clients.length || options.identityPools?.length) {
    process.stderr.write(`appsync-events-local: Cognito and OAuth2 stand-ins at ${emulator.baseUrl} (user pool ${emulator.userPoolId}, token URL ${emulator.baseUrl}/oauth2/token)\n`);
  }
  const stop = () => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`appsync-events-local: ${(err as Error).message}\n`);
  process.exit(1);
});
