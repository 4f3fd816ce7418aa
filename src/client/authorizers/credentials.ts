import type { STSClient } from '@aws-sdk/client-sts';
import type { Agent } from 'node:http';
import { routeFor, type NetworkSettings } from '../network';
import { EventsError } from '../../protocol/errors';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialProvider = () => Promise<AwsCredentials>;

function credentialsError(what: string, err: unknown): EventsError {
  // The SDK's messages name files, profiles and roles, never key material.
  const why = err instanceof Error ? err.message : String(err);
  return new EventsError({ errorType: 'CredentialsError', message: `${what}: ${why}`, cause: err });
}

/** Fixed keys, with an optional session token. */
export function staticCredentials(credentials: AwsCredentials): AwsCredentialProvider {
  return async () => {
    if (!credentials.accessKeyId?.trim() || !credentials.secretAccessKey?.trim()) {
      throw new EventsError({ errorType: 'CredentialsError', message: 'an access key id and a secret access key are both required' });
    }
    return {
      accessKeyId: credentials.accessKeyId.trim(),
      secretAccessKey: credentials.secretAccessKey.trim(),
      sessionToken: credentials.sessionToken?.trim() || undefined,
    };
  };
}

/**
 * Memoises a provider until shortly before its credentials expire; concurrent callers share one fetch.
 * Credentials without an expiration are kept for good.
 */
export function cachedCredentials(provider: AwsCredentialProvider, refreshBeforeMs = 5 * 60_000): AwsCredentialProvider {
  let current: AwsCredentials | undefined;
  let inFlight: Promise<AwsCredentials> | undefined;
  return () => {
    if (current && (!current.expiration || current.expiration.getTime() - refreshBeforeMs > Date.now())) {
      return Promise.resolve(current);
    }
    inFlight ??= provider().then(
      (c) => {
        current = c;
        inFlight = undefined;
        return c;
      },
      (err: unknown) => {
        inFlight = undefined;
        throw err;
      },
    );
    return inFlight;
  };
}

/**
 * The AWS default credential chain of this machine: environment, shared config and credentials files
 * (profile), web identity, container and instance metadata — the same order as the AWS SDKs.
 */
export function defaultCredentialChain(options: { profile?: string; network?: NetworkSettings } = {}): AwsCredentialProvider {
  // Loaded on first use, like every AWS SDK package here (iam.ts says why).
  let chain: ReturnType<typeof import('@aws-sdk/credential-provider-node').defaultProvider> | undefined;
  // The STS and SSO clients the chain creates (role profiles, web identity, SSO) take the network settings;
  // instance and container metadata are link-local and always reached directly.
  const requestHandler = sdkRequestHandler('https://sts.amazonaws.com', options.network);
  return cachedCredentials(async () => {
    try {
      chain ??= (await import('@aws-sdk/credential-provider-node')).defaultProvider({ ...(options.profile ? { profile: options.profile } : {}), ...(requestHandler ? { clientConfig: { requestHandler } } : {}) });
      const c = await chain();
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
    } catch (err) {
      throw credentialsError('the AWS default credential chain found no credentials', err);
    }
  });
}

export interface AssumeRoleOptions {
  roleArn: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: number;
  /** Region of the STS endpoint (the regional endpoint is used). */
  region: string;
  /** Overrides the STS endpoint, e.g. a local test server. */
  stsEndpoint?: string;
  refreshBeforeMs?: number;
  /** TLS settings and a proxy for the STS calls, as for the endpoint's own connections. */
  network?: NetworkSettings;
}

/**
 * The SDK's request handler options for `network`: an agent for each scheme, chosen for the endpoint the SDK will
 * call (its standard overrides first, AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL, as the SDK reads them), so that
 * NO_PROXY applies to the right host.
 */
function stsRequestHandler(options: AssumeRoleOptions): { httpAgent: Agent; httpsAgent: Agent } | undefined {
  return sdkRequestHandler(options.stsEndpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL ?? `https://sts.${options.region}.amazonaws.com`, options.network);
}

/** An AWS SDK client's request handler options (an agent per scheme) for `network`, matched to `url`'s host. */
function sdkRequestHandler(url: string, network: NetworkSettings | undefined): { httpAgent: Agent; httpsAgent: Agent } | undefined {
  if (!network) return undefined;
  const { host } = new URL(url);
  const as = (scheme: string) => routeFor(`${scheme}//${host}`, network).agent;
  return { httpAgent: as('http:'), httpsAgent: as('https:') };
}

/** STS AssumeRole on top of another provider, refreshed before the temporary credentials expire. */
export function assumeRoleCredentials(source: AwsCredentialProvider, options: AssumeRoleOptions): AwsCredentialProvider {
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(options.roleArn)) {
    throw new EventsError({ errorType: 'InvalidConfiguration', message: `"${options.roleArn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)` });
  }
  let sts: STSClient | undefined;
  return cachedCredentials(async () => {
    try {
      const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
      sts ??= new STSClient({ region: options.region, credentials: source, endpoint: options.stsEndpoint, requestHandler: stsRequestHandler(options) });
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName || 'node-red-appsync-events',
          ExternalId: options.externalId || undefined,
          DurationSeconds: options.durationSeconds,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('STS returned no credentials');
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    } catch (err) {
      if (err instanceof EventsError) throw err;
      throw credentialsError(`could not assume role ${options.roleArn}`, err);
    }
  }, options.refreshBeforeMs);
}
