import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

// A private certificate authority and a server certificate signed by it, so that a user can try the whole TLS
// path (a `tls-config` node with a CA) without openssl. X.509 v3 (RFC 5280) is written here in DER with
// node:crypto for the keys and signatures: ECDSA P-256 with SHA-256 (OID 1.2.840.10045.4.3.2, RFC 5758).

export interface GeneratedTls {
  /** PEM of the CA certificate: what a `tls-config` node's CA field takes. */
  ca: string;
  /** PEM of the server certificate and its private key. */
  cert: string;
  key: string;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  if (n < 0x80) return Buffer.concat([Buffer.from([tag, n]), content]);
  const length: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) length.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | length.length, ...length]), content]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);
const octets = (content: Buffer) => tlv(0x04, content);
const bits = (content: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), content]));
const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));

function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a! + b!];
  for (const n of rest) {
    const base128: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      base128.unshift((v % 128) | (base128.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime, valid to 2049 (RFC 5280 §4.1.2.5.1). */
function time(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.organization), utf8('appsync-events-local'))), set(sequence(oid(OID.commonName), utf8(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value));
}

/** DNS names and IP addresses the server certificate is valid for. */
function subjectAltName(hosts: readonly string[]): Buffer {
  return sequence(
    ...hosts.map((h) => {
      if (isIP(h) === 4) return tlv(0x87, Buffer.from(h.split('.').map(Number)));
      if (isIP(h) === 6) return tlv(0x87, ipv6Bytes(h));
      return tlv(0x82, Buffer.from(h, 'ascii'));
    }),
  );
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const groups = [...parts(head), ...Array(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

interface CertificateSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  days: number;
  extensions: Buffer[];
}

function certificate(spec: CertificateSpec): string {
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const notBefore = new Date(Date.now() - 60_000);
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    algorithm,
    name(spec.issuer),
    sequence(time(notBefore), time(new Date(notBefore.getTime() + spec.days * 86_400_000))),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...spec.extensions)),
  );
  const signature = sign('sha256', tbs, { key: spec.signingKey, dsaEncoding: 'der' });
  const der = sequence(tbs, algorithm, bits(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** A CA and a server certificate for `hosts` (DNS names and IP addresses), valid for `days`. */
export function generateTls(hosts: readonly string[] = ['localhost', '127.0.0.1', '::1'], days = 825): GeneratedTls {
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const server = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = 'appsync-events-local CA';
  const caPem = certificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    days: days + 1,
    // keyCertSign and cRLSign (bits 5 and 6).
    extensions: [extension(OID.basicConstraints, true, sequence(boolean(true))), extension(OID.keyUsage, true, bits(Buffer.from([0x06]), 1))],
  });
  const certPem = certificate({
    subject: hosts[0] ?? 'localhost',
    issuer: caName,
    publicKey: server.publicKey,
    signingKey: ca.privateKey,
    days,
    // digitalSignature (bit 0), for server authentication, for these names.
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)),
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, subjectAltName(hosts)),
    ],
  });
  return { ca: caPem, cert: certPem, key: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * The files of `--tls-generate DIR`: `ca.pem`, `cert.pem`, `key.pem`. Existing files are used again, so a
 * `tls-config` node that trusts `ca.pem` keeps working across restarts; missing ones are made anew.
 */
export function tlsFiles(dir: string, hosts?: readonly string[]): GeneratedTls & { created: boolean } {
  const paths = { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  if (existsSync(paths.ca) && existsSync(paths.cert) && existsSync(paths.key)) {
    const files = { ca: readFileSync(paths.ca, 'utf8'), cert: readFileSync(paths.cert, 'utf8'), key: readFileSync(paths.key, 'utf8') };
    createPrivateKey(files.key);
    return { ...files, created: false };
  }
  const generated = generateTls(hosts);
  mkdirSync(dir, { recursive: true });
  writeFileSync(paths.ca, generated.ca);
  writeFileSync(paths.cert, generated.cert);
  writeFileSync(paths.key, generated.key, { mode: 0o600 });
  return { ...generated, created: true };
}
