import type { STSClient } from '@aws-sdk/client-sts';
import type { NetworkSettings } from '../network';
import { EventsError } from '../../protocol/errors';
import { ROLE_ARN } from '../../protocol/aws-ids';
import type { RenewableCredential } from '../renewable-credential';
import { RenewingCredential, renewalTime } from '../renewing-credential';
import { sdkEndpoint, sdkRequestHandler } from '../sdk-network';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/**
 * Gives the credentials to sign with (renewable-credential.ts). `renew`, when present, is called after the service
 * refused a signature made with the access key `stale`: it obtains new credentials unless they were already replaced.
 */
export type AwsCredentialProvider = RenewableCredential<AwsCredentials>;

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
 * Memoises a provider and renews its credentials before they expire (renewing-credential.ts: 5 minutes before, or at 80 % of a
 * short lifetime; `refreshBeforeMs` sets a fixed margin instead); concurrent callers share one fetch. Credentials
 * without an expiration are kept until the service refuses them.
 */
export function cachedCredentials(provider: () => Promise<AwsCredentials>, refreshBeforeMs?: number): AwsCredentialProvider {
  const schedule = refreshBeforeMs === undefined ? renewalTime : (_obtainedAt: number, expiresAt: number) => expiresAt - refreshBeforeMs;
  return new RenewingCredential(
    async () => {
      const c = await provider();
      return { value: c, expiresAt: c.expiration?.getTime() };
    },
    (c) => c.accessKeyId,
    schedule,
  ).provider();
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

/** The request handler options for the STS calls of `options`, matched to the endpoint the SDK will call. */
function stsRequestHandler(options: AssumeRoleOptions): ReturnType<typeof sdkRequestHandler> {
  return sdkRequestHandler(options.stsEndpoint ?? sdkEndpoint('STS', `https://sts.${options.region}.amazonaws.com`), options.network);
}

/** STS AssumeRole on top of another provider, refreshed before the temporary credentials expire. */
export function assumeRoleCredentials(source: AwsCredentialProvider, options: AssumeRoleOptions): AwsCredentialProvider {
  if (!ROLE_ARN.test(options.roleArn)) {
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
