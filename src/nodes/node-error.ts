import { EventsError } from '../protocol/errors';

/**
 * The Error a flow sees (Catch: `msg.error.message`, `msg.error.code`): the service's errorType as `code`,
 * its message, and what the user can do.
 */
export function toNodeError(err: unknown): Error {
  if (err instanceof EventsError) {
    const error = new Error(err.hint ? `${sentence(err.message)} ${err.hint}` : err.message);
    Object.assign(error, { code: err.errorType });
    return error;
  }
  return err instanceof Error ? err : new Error(String(err));
}

const NETWORK_LABELS: Record<string, string> = {
  CertificateNotTrusted: 'TLS: untrusted certificate',
  CertificateHostMismatch: 'TLS: wrong host',
  TlsHandshakeFailed: 'TLS error',
  ProxyAuthenticationRequired: 'proxy auth required',
  ProxyRefused: 'proxy refused',
  ProxyUnreachable: 'proxy unreachable',
};

/** A short status text for an error: the errorType, without any detail that could carry a secret. */
export function errorLabel(err: EventsError): string {
  const network = NETWORK_LABELS[err.errorType];
  if (network) return network;
  if (err.isAuthError) return 'auth error';
  // "outbox in use by process 1234": the status names who holds the file.
  if (err.errorType === 'OutboxInUse' && err.code !== undefined) return `outbox in use by process ${err.code}`;
  if (err.errorType === 'EndpointNotFound' || err.errorType === 'InvalidEndpoint') return 'endpoint error';
  if (err.errorType === 'InvalidChannel' || err.errorType === 'BadRequestException') return 'channel error';
  return err.errorType;
}

/** The service's messages sometimes end with a full stop ("…to make this call."), ours do not. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
