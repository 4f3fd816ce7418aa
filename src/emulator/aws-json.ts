import type { ServerResponse } from 'node:http';
import { isJsonObject } from '../protocol/messages';
import { sendJson } from './json-answer';

/** An answer of the AWS JSON 1.1 protocol (Cognito's): a JSON body, or an error named by `__type`. */
export type AwsJsonAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; type: string; message: string };

export const awsJsonError = (type: string, message: string, status = 400): AwsJsonAnswer => ({ ok: false, status, type, message });

export function sendAwsJson(res: ServerResponse, answer: AwsJsonAnswer): void {
  const headers: Record<string, string> = { 'x-amzn-requestid': crypto.randomUUID() };
  if (!answer.ok) headers['x-amzn-errortype'] = answer.type;
  sendJson(res, answer.ok ? 200 : answer.status, answer.ok ? answer.body : { __type: answer.type, message: answer.message }, headers, 'application/x-amz-json-1.1');
}

/** A string-valued map of a request (`AuthParameters`, `Logins`); entries that are not strings are left out. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isJsonObject(value)) for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
