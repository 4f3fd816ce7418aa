import { EventsError } from '../protocol/errors';
import type { Route } from './network';

// What a user behind a proxy or a TLS-inspecting middlebox must change, told apart from an ordinary network
// failure. The codes are Node's and OpenSSL's (node:tls, https://nodejs.org/api/errors.html#openssl-error-codes).

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * The error types of connection failures that need a change of settings; a flow hears of each once per change of
 * state, and they are retried with the usual backoff (a fixed certificate or proxy is picked up at the next try).
 */
export const NETWORK_SETUP_ERRORS: ReadonlySet<string> = new Set([
  'CertificateNotTrusted',
  'CertificateHostMismatch',
  'TlsHandshakeFailed',
  'ProxyAuthenticationRequired',
  'ProxyRefused',
  'ProxyUnreachable',
]);

/** An error from the socket of a request (`ws` or `https`) on `route`, as the user can act on it. */
export function networkError(err: Error & { code?: string }, route: Route, scrub: (text: string) => string): EventsError {
  const code = err.code ?? '';
  const message = scrub(err.message);
  if (UNTRUSTED.has(code)) {
    return new EventsError({
      errorType: 'CertificateNotTrusted',
      message: `the server certificate is not trusted (${code})`,
      hint: "Add the certificate authority that signed it to the endpoint's TLS configuration (a tls-config node with its CA certificate), or, only for a test, turn off 'Verify server certificate'.",
      retryable: true,
      cause: err,
    });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new EventsError({
      errorType: 'CertificateHostMismatch',
      message: `the server certificate does not name this host: ${message}`,
      hint: "Use the host name the certificate was issued for, or set 'Server Name' in the endpoint's TLS configuration.",
      retryable: true,
      cause: err,
    });
  }
  if (route.proxy && UNREACHABLE.has(code)) {
    return new EventsError({
      errorType: 'ProxyUnreachable',
      message: `the proxy ${route.proxy} cannot be reached (${code})`,
      hint: "Check the proxy's address and port in the endpoint's proxy settings (or HTTPS_PROXY / HTTP_PROXY), and that it is running.",
      retryable: true,
      cause: err,
    });
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || /handshake|wrong version number/i.test(err.message)) {
    return new EventsError({
      errorType: 'TlsHandshakeFailed',
      message: `the TLS handshake failed: ${message}`,
      hint: 'Check that the URL uses https/wss only where the server speaks TLS, and the client certificate and key of the TLS configuration.',
      retryable: true,
      cause: err,
    });
  }
  return new EventsError({ errorType: 'NetworkError', message, cause: err });
}

/** The proxy answered CONNECT with `status` instead of opening the tunnel. */
export function proxyRefused(status: number, route: Route): EventsError {
  if (status === 407) {
    return new EventsError({
      errorType: 'ProxyAuthenticationRequired',
      message: `the proxy ${route.proxy ?? ''} requires authentication (407)`,
      hint: "Set the user name and password in the endpoint's proxy node (or user:password@ in the proxy URL).",
      code: 407,
      retryable: true,
    });
  }
  return new EventsError({
    errorType: 'ProxyRefused',
    message: `the proxy ${route.proxy ?? ''} refused the tunnel (${status})`,
    hint: 'The proxy does not allow connections to this host: ask its administrator to allow the AppSync endpoint, or list the host in the proxy\'s no-proxy hosts.',
    code: status,
    retryable: true,
  });
}
