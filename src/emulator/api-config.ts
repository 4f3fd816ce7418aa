import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isChannelSegment } from '../protocol/channel';
import { isJsonObject } from '../protocol/messages';
import { AUTH_MODES, type AuthMode, type NamespaceConfig } from './namespaces';
import type { SigV4Key } from './sigv4-verifier';

/** The part of the emulator's options an API config file declares (`appsync-events-local --config FILE`). */
export interface ApiConfig {
  apiKeys?: string[];
  tokens?: string[];
  iam?: SigV4Key[];
  namespaces?: NamespaceConfig[];
  lambdaAuthorizer?: string;
  /** AppSync's per-connection quotas (quotas.ts). */
  maxSubscriptionsPerConnection?: number;
  publishRequestsPerSecond?: number;
}

function count(value: unknown, where: string, least: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) throw new ConfigError(`${where} must be a whole number of at least ${least}`);
  return value;
}

class ConfigError extends Error {}

function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v.length > 0)) throw new ConfigError(`${where} must be a list of non-empty strings`);
  return value;
}

function authModes(value: unknown, where: string): AuthMode[] | undefined {
  const list = strings(value, where);
  const unknown = list?.find((m) => !AUTH_MODES.some((a) => a === m));
  if (unknown !== undefined) throw new ConfigError(`${where}: "${unknown}" is not an auth mode (${AUTH_MODES.join(', ')})`);
  return list?.filter((m): m is AuthMode => AUTH_MODES.some((a) => a === m));
}

function iamKeys(value: unknown): SigV4Key[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ConfigError('iam must be a list of { accessKeyId, secretAccessKey, sessionToken? }');
  return value.map((k, i) => {
    if (!isJsonObject(k) || typeof k.accessKeyId !== 'string' || typeof k.secretAccessKey !== 'string') throw new ConfigError(`iam[${i}] needs accessKeyId and secretAccessKey`);
    return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, sessionToken: typeof k.sessionToken === 'string' ? k.sessionToken : undefined };
  });
}

function namespaces(value: unknown, folder: string): NamespaceConfig[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ConfigError('namespaces must be a list');
  return value.map((n, i) => {
    const where = `namespaces[${i}]`;
    if (!isJsonObject(n) || typeof n.name !== 'string' || !isChannelSegment(n.name)) throw new ConfigError(`${where} needs a name of 1-50 letters, digits or dashes`);
    if (n.codeHandlers !== undefined && typeof n.codeHandlers !== 'string') throw new ConfigError(`${where}.codeHandlers must be a path`);
    return {
      name: n.name,
      publishAuthModes: authModes(n.publishAuthModes, `${where}.publishAuthModes`),
      subscribeAuthModes: authModes(n.subscribeAuthModes, `${where}.subscribeAuthModes`),
      codeHandlers: n.codeHandlers === undefined ? undefined : resolve(folder, n.codeHandlers),
    };
  });
}

/**
 * Reads an API config file (JSON): its keys, tokens, IAM keys and namespaces, with paths taken relative to the file's
 * folder. Throws an error that names the file and the field for anything it cannot use.
 */
export function readApiConfig(file: string): ApiConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    if (!isJsonObject(parsed)) throw new ConfigError('the file must hold a JSON object');
    if (parsed.lambdaAuthorizer !== undefined && typeof parsed.lambdaAuthorizer !== 'string') throw new ConfigError('lambdaAuthorizer must be a path');
    const folder = dirname(resolve(file));
    return {
      apiKeys: strings(parsed.apiKeys, 'apiKeys'),
      tokens: strings(parsed.tokens, 'tokens'),
      iam: iamKeys(parsed.iam),
      namespaces: namespaces(parsed.namespaces, folder),
      lambdaAuthorizer: parsed.lambdaAuthorizer === undefined ? undefined : resolve(folder, parsed.lambdaAuthorizer),
      maxSubscriptionsPerConnection: count(parsed.maxSubscriptionsPerConnection, 'maxSubscriptionsPerConnection', 1),
      publishRequestsPerSecond: count(parsed.publishRequestsPerSecond, 'publishRequestsPerSecond', 0),
    };
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
