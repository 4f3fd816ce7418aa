import type { Endpoints } from '../protocol/endpoint';
import { EventsError, fromServiceErrors } from '../protocol/errors';
import type { ServiceErrorEntry } from '../protocol/messages';
import type { AuthorizationHeaders, Authorizer, Operation } from './authorizer';
import { OrderedSends } from './frame-writer';
import type { Logger } from './logger';
import { OperationIds } from './operation-ids';
import { PendingOperations, type PendingOperation } from './pending-operations';
import { SecretScrubber } from './redact';
import { SubscriptionRegistry } from './subscription-registry';
import type { ClientSettings, WebSocketAuthorizers } from './websocket-options';

/**
 * What the parts of the WebSocket client share (websocket-parts.ts): its settings, its log scrubbed of secrets, the
 * operations in flight on the current socket, the subscriptions, the ordered sends and the operation ids.
 */
export class WebSocketShared {
  readonly scrubber = new SecretScrubber();
  readonly log: Logger;
  readonly pending: PendingOperations;
  readonly subscriptions: SubscriptionRegistry;
  readonly sends = new OrderedSends();
  readonly ids = new OperationIds();

  constructor(
    readonly endpoints: Endpoints,
    readonly authorizers: Required<WebSocketAuthorizers>,
    readonly options: ClientSettings,
    logger: Logger,
    onTimeout: (id: string, operation: PendingOperation) => void,
  ) {
    this.log = this.scrubber.logger(logger);
    this.subscriptions = new SubscriptionRegistry(this.log);
    this.pending = new PendingOperations(options.requestTimeoutMs, onTimeout);
  }

  /**
   * Asks an authorizer for one operation's headers, at once when it answers at once. `body` is built only if
   * the authorizer reads it: only IAM signs the body. Errors come back scrubbed of secrets, as a rejection.
   */
  authorize(authorizer: Authorizer, operation: Operation, body: () => string, channel?: string): AuthorizationHeaders | Promise<AuthorizationHeaders> {
    let text: string | undefined;
    let answer: AuthorizationHeaders | Promise<AuthorizationHeaders>;
    try {
      answer = authorizer({
        operation,
        transport: 'websocket',
        httpUrl: this.endpoints.httpUrl,
        httpHost: this.endpoints.httpHost,
        get body() {
          return (text ??= body());
        },
        channel,
      });
    } catch (err) {
      return Promise.reject(this.scrubber.error(err, 'CredentialsError'));
    }
    if (answer instanceof Promise) {
      return answer.then(
        (headers) => this.#accepted(headers),
        (err: unknown) => Promise.reject(this.scrubber.error(err, 'CredentialsError')),
      );
    }
    return this.#accepted(answer);
  }

  serviceError(errors: readonly ServiceErrorEntry[], fallback: string): EventsError {
    return this.scrubber.error(fromServiceErrors(errors, fallback));
  }

  #accepted(headers: AuthorizationHeaders): AuthorizationHeaders {
    this.scrubber.addHeaders(headers);
    return headers;
  }
}
