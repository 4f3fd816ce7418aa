import type { ServiceErrorEntry } from './messages';

export interface EventsErrorInit {
  errorType: string;
  message: string;
  /** The service's numeric or string code (HTTP status, `errorCode`, or a `failed[].code`). */
  code?: number | string;
  retryable?: boolean;
  hint?: string;
  cause?: unknown;
}

/** Error types that no retry can fix: the user must change a key, a token, a channel or the payload. */
const PERMANENT_TYPES = new Set([
  'UnauthorizedException',
  'Unauthorized',
  'NotAuthorizedException',
  'ForbiddenException',
  'AccessDeniedException',
  'BadRequestException',
  'InvalidInputError',
  'MaxSubscriptionsReachedError',
  'ResourceNotFound',
  'UnsupportedOperation',
  'EventTooLargeException',
  'InvalidChannel',
  'InvalidEvent',
  'EventTooLarge',
  'EmptyBatch',
  'InvalidEndpoint',
  'InvalidConfiguration',
  'CredentialsError',
  'QueueFull',
  'ClientClosed',
  'EndpointNotFound',
  'OutboxInUse',
]);

const HINTS: Record<string, string> = {
  UnauthorizedException:
    'Check the API key or token, that this authorization mode is allowed for the API and the namespace, and that the channel starts with an existing namespace.',
  Unauthorized: 'A channel handler (onSubscribe/onPublish) refused the request.',
  BadRequestException: 'The request was refused as malformed: check the channel name and the events.',
  InvalidInputError: 'The request was refused as malformed: check the channel name and the events.',
  MaxSubscriptionsReachedError: 'Unsubscribe from channels you no longer need, or use a second endpoint connection.',
  LimitExceededError: 'The service is throttling: publish less often or in batches of up to 5 events.',
  TooManyRequestsException: 'The service is throttling: publish less often or in batches of up to 5 events.',
  InvalidChannel:
    'A channel is 1 to 5 segments separated by "/", each 1-50 letters, digits or dashes, not starting or ending with a dash; the first segment is a namespace. Only subscriptions may end with "/*".',
  InvalidEvent: 'Each event must be a JSON value: no undefined, functions, BigInt or circular references.',
  EventTooLarge: 'Each event must be at most 240 KB once encoded as JSON.',
  EmptyBatch: 'Give at least one event to publish.',
  QueueFull: 'The connection is down and the publish queue is full; retry later or raise the queue size.',
  Timeout: 'The service did not answer in time; check the network and the endpoint.',
  EndpointNotFound: 'Check the endpoint URL: it should end in /event (the realtime URL in /event/realtime).',
  CredentialsError: 'No AWS credentials could be loaded: check the keys, the profile or the role.',
  ClientClosed: 'The client was closed before the operation finished.',
  OutboxInUse: 'Another Node-RED process uses this user directory: stop it, or give each process its own user directory.',
};

const SIGNATURE_HINT = "The IAM signature was refused: check the secret access key, the session token, the region and this machine's clock.";

/** The one error type of the library: carries the service's errorType, code, message and whether a retry may help. */
export class EventsError extends Error {
  readonly errorType: string;
  readonly code: number | string | undefined;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(init: EventsErrorInit) {
    super(`${init.errorType}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'EventsError';
    this.errorType = init.errorType;
    this.code = init.code;
    this.retryable = init.retryable ?? !PERMANENT_TYPES.has(init.errorType);
    this.hint = init.hint ?? (isSignatureMismatch(this) ? SIGNATURE_HINT : HINTS[init.errorType]);
  }

  /** True when the error says the credentials were refused (the connection must not be retried quickly). */
  get isAuthError(): boolean {
    return (
      isSignatureMismatch(this) ||
      this.errorType === 'UnauthorizedException' ||
      this.errorType === 'Unauthorized' ||
      this.errorType === 'NotAuthorizedException' ||
      this.errorType === 'ForbiddenException' ||
      this.errorType === 'CredentialsError' ||
      this.code === 401 ||
      this.code === 403
    );
  }
}

/**
 * The service reports a SigV4 mismatch as BadRequestException with AWS's usual wording (I-14001, I-400): it is
 * a credential or clock problem, not a bad channel.
 */
function isSignatureMismatch(err: EventsError): boolean {
  return err.errorType === 'InvalidSignatureException' || (err.errorType === 'BadRequestException' && /signature/i.test(err.message));
}

/** Builds an error from the service's `errors` array; the first entry carries the most detail (protocol.md §3.3). */
export function fromServiceErrors(errors: readonly ServiceErrorEntry[] | undefined, fallback: string): EventsError {
  const first = errors?.find((e) => e.message) ?? errors?.[0];
  return new EventsError({
    errorType: first?.errorType ?? 'UnknownError',
    message: first?.message ?? fallback,
    code: first?.errorCode,
  });
}
