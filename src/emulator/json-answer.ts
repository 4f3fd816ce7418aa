import type { ServerResponse } from 'node:http';

/**
 * Writes a JSON answer with its length: the one writer of the emulator's routes (AppSync's, the identity stand-ins',
 * the console's). `contentType` is AWS's `application/x-amz-json-1.1` for the AWS JSON protocol.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
