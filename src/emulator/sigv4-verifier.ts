import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { sameSecret } from './secret-match';

// An independent SigV4 verifier, written from the AWS specification ("Create a signed AWS API request",
// docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html) and checked against
// AWS's published test-suite vectors. It shares no code with the signer the client uses, so the two cannot
// agree on the same mistake.

export interface SigV4Key {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedRequest {
  method: string;
  /** Path as it appears on the request line, still percent-encoded. */
  path: string;
  /** Raw query string without `?`. */
  query: string;
  /** Header names in any case; values as received. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string | Buffer;
}

export interface VerifyOptions {
  region: string;
  service: string;
  lookup(accessKeyId: string): SigV4Key | undefined;
  now?: Date;
  /** Largest allowed difference between `x-amz-date` and now; `Infinity` to skip (test vectors). */
  maxSkewMs?: number;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string }
  | { ok: false; errorType: string; message: string; status: number };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH_HEADER = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/;

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 unreserved characters stay; everything else is %XX in upper case. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Every service but S3 encodes each path segment twice: once as sent on the wire, once for the canonical form. */
function canonicalPath(path: string): string {
  if (path === '' || path === '/') return '/';
  return path
    .split('/')
    .map((segment) => uriEncode(uriEncode(safeDecode(segment))))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      return [uriEncode(safeDecode(key.replace(/\+/g, ' '))), uriEncode(safeDecode(value.replace(/\+/g, ' ')))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function fail(errorType: string, message: string, status = 403): VerifyResult {
  return { ok: false, errorType, message, status };
}

/** Recomputes the signature of `request` and compares it with the one in its `Authorization` header. */
export function verifySigV4(request: SignedRequest, options: VerifyOptions): VerifyResult {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) headers.set(k.toLowerCase(), v);

  const match = AUTH_HEADER.exec(headers.get('authorization') ?? '');
  if (!match) return fail('BadRequestException', 'Authorization header is not a valid AWS4-HMAC-SHA256 signature.', 400);
  const [, credential, signedHeadersList, signature] = match as unknown as [string, string, string, string];

  const scopeParts = credential.split('/');
  if (scopeParts.length !== 5 || scopeParts[4] !== 'aws4_request') return fail('BadRequestException', 'Credential is malformed.', 400);
  const [accessKeyId, scopeDate, scopeRegion, scopeService] = scopeParts as [string, string, string, string, string];
  if (scopeRegion !== options.region) return fail('BadRequestException', `Credential should be scoped to a valid region, not '${scopeRegion}'.`, 400);
  if (scopeService !== options.service) return fail('BadRequestException', `Credential should be scoped to correct service: '${options.service}'.`, 400);

  const key = options.lookup(accessKeyId);
  if (!key) return fail('UnauthorizedException', 'The security token included in the request is invalid.');

  const amzDateText = headers.get('x-amz-date');
  const amzDate = amzDateText ? parseAmzDate(amzDateText) : undefined;
  if (!amzDateText || !amzDate) return fail('BadRequestException', 'Missing or malformed x-amz-date.', 400);
  if (amzDateText.slice(0, 8) !== scopeDate) return fail('BadRequestException', 'Credential date does not match x-amz-date.', 400);
  const maxSkew = options.maxSkewMs ?? 15 * 60_000;
  if (Number.isFinite(maxSkew) && Math.abs((options.now ?? new Date()).getTime() - amzDate.getTime()) > maxSkew) {
    return fail('BadRequestException', 'Signature expired: the request time is too far from the server time.', 400);
  }

  const token = headers.get('x-amz-security-token');
  if (!sameSecret(token ?? '', key.sessionToken ?? '')) return fail('UnauthorizedException', 'The security token included in the request is invalid.');

  const signedNames = signedHeadersList.split(';');
  const sorted = [...signedNames].sort();
  if (signedNames.some((n, i) => n !== sorted[i] || n !== n.toLowerCase())) return fail('BadRequestException', 'SignedHeaders must be lower case and sorted.', 400);
  if (!signedNames.includes('host')) return fail('BadRequestException', "'Host' must be a signed header.", 400);

  // Services other than S3 hash the body they received; a signed x-amz-content-sha256 header is just one
  // more signed value, so a changed body shows up as a signature mismatch (as in I-400).
  const payloadHash = sha256Hex(request.body);

  const canonicalHeaders: string[] = [];
  for (const name of signedNames) {
    const value = headers.get(name);
    if (value === undefined) return fail('BadRequestException', `Signed header '${name}' is missing from the request.`, 400);
    canonicalHeaders.push(`${name}:${value.trim().replace(/\s+/g, ' ')}\n`);
  }
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    canonicalHeaders.join(''),
    signedHeadersList,
    payloadHash,
  ].join('\n');
  const scope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDateText, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, scopeDate), scopeRegion), scopeService), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    // The service's own wording, canonical string included (I-14001): clients must scrub it.
    return fail(
      'BadRequestException',
      `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
      400,
    );
  }
  return { ok: true, accessKeyId };
}
