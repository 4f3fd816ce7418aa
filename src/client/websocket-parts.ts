import type { Endpoints } from '../protocol/endpoint';
import { EventsError } from '../protocol/errors';
import { ConnectionLifecycle } from './connection-lifecycle';
import { ConnectionReplacement } from './connection-replacement';
import type { Logger } from './logger';
import type { PendingOperation } from './pending-operations';
import { PublishPath } from './publish-path';
import type { Route } from './network';
import { SubscriptionPath } from './subscription-path';
import type { ClientSettings, WebSocketAuthorizers } from './websocket-options';
import { WebSocketShared } from './websocket-shared';

/**
 * The parts of one WebSocket client, each in its file, and what they share. A part reaches another only through
 * here, when it runs, never while they are being made.
 */
export class WebSocketParts {
  readonly shared: WebSocketShared;
  readonly lifecycle: ConnectionLifecycle;
  readonly replacement: ConnectionReplacement;
  readonly publishes: PublishPath;
  readonly subscriptions: SubscriptionPath;

  constructor(endpoints: Endpoints, authorizers: Required<WebSocketAuthorizers>, options: ClientSettings, logger: Logger, route: Route) {
    this.shared = new WebSocketShared(endpoints, authorizers, options, logger, (id, operation) => this.#onTimeout(id, operation));
    this.lifecycle = new ConnectionLifecycle(this, route, options.autoConnect ?? true);
    this.replacement = new ConnectionReplacement(this);
    this.publishes = new PublishPath(this);
    this.subscriptions = new SubscriptionPath(this);
  }

  /** An operation got no answer within the request timeout. */
  #onTimeout(id: string, operation: PendingOperation): void {
    if (operation.kind === 'publish') {
      operation.reject(new EventsError({ errorType: 'Timeout', message: `no answer to publish on ${operation.channel} within ${this.shared.options.requestTimeoutMs} ms` }));
    } else this.subscriptions.onTimeout(id, operation.kind);
  }
}
