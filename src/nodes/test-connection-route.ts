import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { EventsWebSocketClient } from '../client/websocket-client';
import { EventsError } from '../protocol/errors';
import { isJsonObject } from '../protocol/messages';
import { authorizerFactory, findLogin, type AuthorizerCredentials, type AuthorizerDef } from './authorizer-node';
import { AUTHORIZER_SETTINGS, CREDENTIAL_KEYS } from '../editor/node-settings';
import { textSettings } from '../editor/setting-rule';
import { endpointSettings } from './endpoint-settings';
import { toNodeError } from './node-error';

/** What the editor posts: the endpoint dialog's current values, and the selected authorizer's (maybe unsaved). */
interface TestRequest {
  url: string;
  realtimeUrl?: string;
  region?: string;
  tls?: string;
  proxy?: string;
  authorizer: string;
  authorizerDef?: Partial<AuthorizerDef>;
  credentials: AuthorizerCredentials;
  channel?: string;
}

export type TestAnswer = { ok: true; connectMs: number; subscribeMs?: number } | { ok: false; code: string; message: string };

const TEST_TIMEOUT_MS = 15_000;
const text = (v: unknown) => (typeof v === 'string' ? v : undefined);

function parseRequest(body: unknown): TestRequest | undefined {
  if (!isJsonObject(body) || typeof body.url !== 'string' || typeof body.authorizer !== 'string') return undefined;
  const def = isJsonObject(body.authorizerDef) ? body.authorizerDef : {};
  const typed = isJsonObject(body.credentials) ? body.credentials : {};
  const credentials: AuthorizerCredentials = {};
  // The editor shows a saved password as __PWRD__: that, or nothing, means the deployed value.
  for (const key of CREDENTIAL_KEYS) {
    const value = text(typed[key]);
    if (value && value !== '__PWRD__') credentials[key] = value;
  }
  return {
    url: body.url,
    realtimeUrl: text(body.realtimeUrl),
    region: text(body.region),
    tls: text(body.tls),
    proxy: text(body.proxy),
    authorizer: body.authorizer,
    authorizerDef: textSettings(AUTHORIZER_SETTINGS, def),
    credentials,
    channel: text(body.channel)?.trim() || undefined,
  };
}

/** Resolves with `promise`, or rejects after `ms` with a Timeout error. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EventsError({ errorType: 'Timeout', message: `no ${what} within ${ms / 1000} s` })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connected, or the first failure: a test does not wait through retries. */
function firstConnection(client: EventsWebSocketClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = client.onStateChange((s) => {
      if (s.status === 'connected') resolve();
      else if ((s.status === 'reconnecting' || s.status === 'failed') && s.error) reject(s.error);
      else return;
      stop();
    });
    client.connect().catch(reject);
  });
}

async function test(RED: NodeAPI, request: TestRequest): Promise<TestAnswer> {
  const deployed: unknown = RED.nodes.getCredentials(request.authorizer);
  const saved = isJsonObject(deployed) ? deployed : {};
  const credentials: AuthorizerCredentials = {};
  for (const key of CREDENTIAL_KEYS) credentials[key] = request.credentials[key] ?? text(saved[key]);
  const def: AuthorizerDef = { id: request.authorizer, type: 'events-authorizer', name: '', z: '', authType: 'apiKey', ...request.authorizerDef };
  const authorizerFor = authorizerFactory(def, credentials, async (source, name) => {
    if (source === 'env') return process.env[name];
    throw new EventsError({ errorType: 'InvalidConfiguration', message: `a ${source} context token can only be tested once the flow is deployed and running` });
  }, (id, network) => findLogin(RED, id, network));
  const { endpoints, network } = endpointSettings(RED, request, () => {});
  const client = new EventsWebSocketClient(endpoints, { connect: authorizerFor(endpoints.region, network) }, { network, connectTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
  try {
    const started = performance.now();
    await within(firstConnection(client), TEST_TIMEOUT_MS, 'connection_ack');
    const connectMs = Math.round(performance.now() - started);
    if (!request.channel) return { ok: true, connectMs };
    await within(client.subscribe(request.channel).ready, TEST_TIMEOUT_MS, 'subscribe_success');
    return { ok: true, connectMs, subscribeMs: Math.round(performance.now() - started) };
  } finally {
    await client.disconnect(false);
  }
}

/**
 * `POST <admin root>/appsync-events/test-connection`: the endpoint dialog's Test connection button. It needs the
 * right to change endpoints (Node-RED's admin permissions), and its answer carries the same error texts as the
 * runtime's, never a secret (the client scrubs every message).
 */
export function registerTestConnectionRoute(RED: NodeAPI): void {
  RED.httpAdmin.post('/appsync-events/test-connection', RED.auth.needsPermission('events-endpoint.write'), (req: Request, res: Response) => {
    const request = parseRequest(req.body);
    if (!request) {
      res.status(400).json({ ok: false, code: 'InvalidConfiguration', message: 'the request needs the endpoint URL and an authorizer' });
      return;
    }
    test(RED, request).then(
      (answer) => res.json(answer),
      (err: unknown) => {
        const error = toNodeError(err);
        res.json({ ok: false, code: err instanceof EventsError ? err.errorType : 'Error', message: error.message } satisfies TestAnswer);
      },
    );
  });
}
