import type { Agent } from 'node:http';
import { routeFor, type NetworkSettings } from './network';

/**
 * An AWS SDK client's request handler options for `network`: an agent for each scheme, chosen for the endpoint the
 * SDK will call, so that NO_PROXY applies to the right host. `url` is that endpoint: the SDK's standard override
 * (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, as the SDK reads them) or the regional default.
 */
export function sdkRequestHandler(url: string, network: NetworkSettings | undefined): { httpAgent: Agent; httpsAgent: Agent } | undefined {
  if (!network) return undefined;
  const { host } = new URL(url);
  const as = (scheme: string) => routeFor(`${scheme}//${host}`, network).agent;
  return { httpAgent: as('http:'), httpsAgent: as('https:') };
}

/** The endpoint an SDK client for `service` (its env suffix, e.g. `STS`) will call, overrides first. */
export function sdkEndpoint(envSuffix: string, fallback: string): string {
  return process.env[`AWS_ENDPOINT_URL_${envSuffix}`] ?? process.env.AWS_ENDPOINT_URL ?? fallback;
}
