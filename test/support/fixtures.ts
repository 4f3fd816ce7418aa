import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { Events, apiKeyAuthorizer, type ConnectionState, type EventsWebSocketClient, type WebSocketClientOptions } from '../../src/client';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator';

export const API_KEY = 'da2-testkeytestkeytestkeytest';
export const IAM_KEY = { accessKeyId: 'AKIATESTEXAMPLE00001', secretAccessKey: 'testSecretKeyTESTsecretKEY0123456789abcd' };

/** Fast timings so that reconnect tests take milliseconds, not minutes. */
export const FAST: WebSocketClientOptions = { reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 200, authRetryDelayMs: 60_000, connectTimeoutMs: 2_000, requestTimeoutMs: 2_000 };

export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  // No publish quota unless a test asks for one (publishRequestsPerSecond): the quota has tests of its own.
  return createEmulator({ apiKeys: [API_KEY], iam: [IAM_KEY], tokens: ['good-token'], namespaces: ['default', 'other'], publishRequestsPerSecond: 0, ...options });
}

export function apiKeyClient(emulator: Emulator, options: WebSocketClientOptions = {}, key = API_KEY): EventsWebSocketClient {
  return new Events(emulator.httpUrl).createWebSocketClient(apiKeyAuthorizer(key), { ...FAST, ...options });
}

/** Records every connection state the client goes through. */
export function recordStates(client: EventsWebSocketClient): ConnectionState[] {
  const states: ConnectionState[] = [];
  client.onStateChange((s) => states.push(s));
  return states;
}

/** A scripted WebSocket server for cases the emulator never produces (silence, foreign error frames). */
export async function scriptedServer(onMessage: (ws: WebSocket, message: Record<string, unknown>) => void): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'aws-appsync-event-ws' });
  wss.on('connection', (ws) => ws.on('message', (data) => onMessage(ws, JSON.parse(data.toString()) as Record<string, unknown>)));
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/event`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
