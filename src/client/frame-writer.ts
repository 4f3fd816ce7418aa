import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { EventsError } from '../protocol/errors';
import type { ClientMessage } from '../protocol/messages';

/**
 * Writes the frames of one socket. Each `ws.send` is its own socket write (and TLS record); with many small
 * frames those writes cost more than everything else (40 % of CPU when publishing). `ws` has no batching API,
 * but stream corking nests, so holding the socket corked until the next tick sends a burst in one write.
 */
export class FrameWriter {
  readonly #ws: WebSocket;
  #corked = false;

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /** False when the socket can no longer carry the frame. */
  send(message: ClientMessage): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN) return false;
    if (!this.#corked) this.#corkUntilNextTick();
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  #corkUntilNextTick(): void {
    // `_socket` is private to `ws`; without it frames are simply written one by one.
    const socket: Socket | undefined = Reflect.get(this.#ws, '_socket');
    if (!socket) return;
    socket.cork();
    this.#corked = true;
    process.nextTick(() => {
      this.#corked = false;
      socket.uncork();
    });
  }
}

/**
 * Keeps frames in call order while their authorizers (IAM signing, token fetches) run concurrently: each
 * frame is sent after every frame requested before it, and a failed authorization fails only its own frame.
 */
export class OrderedSends {
  #chain: Promise<void> = Promise.resolve();

  enqueue(authorize: Promise<Record<string, string>>, send: (headers: Record<string, string>) => void, fail: (err: EventsError) => void): void {
    authorize.catch(() => {});
    const step = this.#chain.then(() => authorize).then(send, fail);
    this.#chain = step.catch(() => {});
  }

  /** Resolves once every frame requested so far was sent or failed. */
  settled(): Promise<void> {
    return this.#chain;
  }
}
