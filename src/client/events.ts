import { resolveEndpoints, type EndpointOptions, type Endpoints } from '../protocol/endpoint';
import type { Authorizer } from './authorizer';
import { EventsRestClient, type RestClientOptions } from './rest-client';
import { EventsWebSocketClient, type WebSocketAuthorizers, type WebSocketClientOptions } from './websocket-client';

/** Entry point, shaped like the Kotlin `Events` class: one per Event API, creating its clients. */
export class Events {
  readonly endpoints: Endpoints;

  constructor(options: EndpointOptions | string) {
    this.endpoints = resolveEndpoints(typeof options === 'string' ? { url: options } : options);
  }

  createRestClient(publishAuthorizer: Authorizer, options?: RestClientOptions): EventsRestClient {
    return new EventsRestClient(this.endpoints, publishAuthorizer, options);
  }

  createWebSocketClient(authorizers: WebSocketAuthorizers | Authorizer, options?: WebSocketClientOptions): EventsWebSocketClient {
    return new EventsWebSocketClient(this.endpoints, typeof authorizers === 'function' ? { connect: authorizers } : authorizers, options);
  }
}
