import type { Endpoints } from '../protocol/endpoint';
import type { Authorizer } from './authorizer';
import type { NetworkSettings } from './network';
import { EventsWebSocketClient } from './websocket-client';

/**
 * Whether AppSync accepts a credential, asked with a connection opened with it and closed again: it tells a refused
 * credential from a refused channel, which an HTTP 401 (or a publish refused as unauthorized) does not say.
 */
export function credentialProbe(endpoints: Endpoints, network: NetworkSettings, endpointAuthorizer: Authorizer): (authorizer: Authorizer | undefined) => Promise<boolean> {
  return async (authorizer) => {
    // A long reconnect delay: the probe is one attempt, never a client that keeps trying.
    const probe = new EventsWebSocketClient(endpoints, { connect: authorizer ?? endpointAuthorizer }, { network, autoConnect: false, reconnectBaseDelayMs: 60_000 });
    try {
      await probe.connect();
      return true;
    } catch {
      return false;
    } finally {
      await probe.disconnect(false);
    }
  };
}
