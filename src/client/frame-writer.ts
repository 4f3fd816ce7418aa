import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { EventsError } from '../protocol/errors';
import { ClientFrameEncoder } from '../protocol/client-frame';
import type { ClientMessage } from '../protocol/messages';

const FLUSH_EVERY_FRAMES = 64;

/**
 * Writes the frames of one socket. Each `ws.send` is its own socket write (and TLS record); with many small
 * frames those writes cost more than everything else (40 % of CPU when publishing). `ws` has no batching API,
 * but stream corking nests, so holding the socket corked until the next tick sends a burst in one write.
 */
export class FrameWriter {
  readonly #ws: WebSocket;
  readonly #encoder = new ClientFrameEncoder();
  #socket: Socket | undefined;
  /** Frames written since the socket was corked. */
  #corkedFrames = 0;

  /** `trace`, when given, sees the text of every frame sent (the logger scrubs it). */
  constructor(
    ws: WebSocket,
    private readonly trace?: (text: string) => void,
  ) {
    this.#ws = ws;
  }

  /** False when the socket can no longer carry the frame. */
  send(message: ClientMessage): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN) return false;
    if (!this.#socket) this.#corkUntilNextTick();
    else if (++this.#corkedFrames >= FLUSH_EVERY_FRAMES) {
      // A long burst (thousands of publishes started at once) leaves in slices, so the server starts on the
      // first frames while the rest are still being built.
      this.#socket.uncork();
      this.#socket.cork();
      this.#corkedFrames = 0;
    }
    const text = this.#encoder.encode(message);
    this.trace?.(text);
    this.#ws.send(text);
    return true;
  }

  #corkUntilNextTick(): void {
    // `_socket` is private to `ws`; without it frames are simply written one by one.
    const socket: Socket | undefined = Reflect.get(this.#ws, '_socket');
    if (!socket) return;
    socket.cork();
    this.#socket = socket;
    this.#corkedFrames = 0;
    process.nextTick(() => {
      this.#socket = undefined;
      socket.uncork();
    });
  }
}

type Headers = Record<string, string>;

interface OrderedSend {
  authorization: Headers | Promise<Headers>;
  send(headers: Record<string, string>): void;
  fail(err: EventsError): void;
}

/**
 * Keeps frames in call order while their authorizers (IAM signing, token fetches) run concurrently: each
 * frame is sent after every frame requested before it, and a failed authorization fails only its own frame.
 * One loop drains a queue, instead of two chained promises per frame, and only while a frame waits for its
 * authorizer: an authorizer that answers at once (an API key) costs no promise at all.
 */
export class OrderedSends {
  #queue: OrderedSend[] = [];
  #draining: Promise<void> | undefined;

  /** Sends at once when the authorization is already there and nothing waits ahead; else in turn. */
  enqueue(authorization: Headers | Promise<Headers>, send: (headers: Headers) => void, fail: (err: EventsError) => void): void {
    if (!(authorization instanceof Promise) && !this.#draining) {
      send(authorization);
      return;
    }
    if (authorization instanceof Promise) authorization.catch(() => {});
    this.#queue.push({ authorization, send, fail });
    this.#draining ??= this.#drain();
  }

  /** Resolves once every frame requested so far was sent or failed. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    let next: OrderedSend | undefined;
    let index = 0;
    while ((next = this.#queue[index++])) {
      try {
        next.send(await next.authorization);
      } catch (err) {
        next.fail(err instanceof EventsError ? err : new EventsError({ errorType: 'CredentialsError', message: 'the authorizer failed' }));
      }
      // Sent entries are dropped in slices, so a long queue is not copied once per frame.
      if (index >= 1_024) {
        this.#queue = this.#queue.slice(index);
        index = 0;
      }
    }
    this.#queue = [];
    this.#draining = undefined;
  }
}
