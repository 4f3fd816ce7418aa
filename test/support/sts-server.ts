import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type SigV4Key } from '../../src/emulator/sigv4-verifier';

export interface StsStandIn {
  url: string;
  calls: Array<{ roleArn: string; externalId?: string; sessionName?: string }>;
  close(): Promise<void>;
}

/**
 * A local stand-in for STS AssumeRole (awsQuery protocol, XML answer). It verifies the caller's SigV4
 * signature (service `sts`) and hands out `issued` as the temporary credentials.
 */
export async function startSts(base: SigV4Key, issued: Required<SigV4Key>, expiresInMs = 3600_000): Promise<StsStandIn> {
  const calls: StsStandIn['calls'] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const url = new URL(req.url ?? '/', 'http://sts');
      const verdict = verifySigV4(
        { method: req.method ?? 'POST', path: url.pathname, query: url.search.slice(1), headers: req.headers as Record<string, string>, body },
        { region: 'us-east-1', service: 'sts', lookup: (id) => (id === base.accessKeyId ? base : undefined) },
      );
      if (!verdict.ok) {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>${verdict.errorType}</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      calls.push({ roleArn: form.get('RoleArn') ?? '', externalId: form.get('ExternalId') ?? undefined, sessionName: form.get('RoleSessionName') ?? undefined });
      const expiration = new Date(Date.now() + expiresInMs).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId><SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey><SessionToken>${issued.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA0000:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
