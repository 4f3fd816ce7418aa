import type { Authorizer } from '../client/authorizer';
import type { ConnectionState } from '../client/connection-state';
import { awaitAtMost, timerDelay } from '../client/time-limit';
import { EventsError } from '../protocol/errors';
import type { ConnectionUser, EndpointConnection } from './endpoint-connection';

export interface PresenceSettings {
  /** Published after every connect, once the subscriptions are made again, and every `heartbeatMs` while connected. */
  birth?: { channel: string; event: unknown };
  /** Published before a graceful disconnect (msg.action disconnect, a redeploy, Node-RED stopping). */
  close?: { channel: string; event: unknown };
  /** 0: no heartbeat. */
  heartbeatMs: number;
  /** Whether to connect at once, before any flow node needs the connection (the endpoint's `autoConnect`). */
  connectAtStart: boolean;
  /** The endpoint's authorizer, looked up when first needed (config nodes start in no set order). */
  authorizer: () => Authorizer;
}

/** How long a close message may hold up a disconnect: well inside Node-RED's 15 s close timeout. */
const CLOSE_WAIT_MS = 3_000;

/**
 * Birth, close and heartbeat messages of one endpoint, as the core MQTT broker node sends birth, close and will
 * messages: AppSync has no connect or disconnect hooks, so the gateway says it is online itself. It is a user of the
 * connection like a flow node, so the socket stays open while it is on, and closes after its close message.
 */
export class EndpointPresence implements ConnectionUser {
  readonly id: string;
  readonly #connection: EndpointConnection;
  readonly #settings: PresenceSettings;
  readonly #warn: (error: EventsError) => void;
  #birthDue = false;
  #connected = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #stopWatching: (() => void) | undefined;
  /** Kept from the first message: when Node-RED stops, the authorizer node may close before the endpoint does. */
  #authorizer: Authorizer | undefined;

  constructor(id: string, connection: EndpointConnection, settings: PresenceSettings, warn: (error: EventsError) => void) {
    this.id = id;
    this.#connection = connection;
    this.#settings = settings;
    this.#warn = warn;
  }

  start(): void {
    this.#stopWatching = this.#connection.watchSubscriptions(() => this.#sendBirthWhenDue());
    this.#connection.beforeDisconnect = () => this.#sendClose();
    this.#connection.register(this);
    if (this.#settings.birth && this.#settings.connectAtStart) this.#connection.connect().catch(() => {});
  }

  onConnectionState(state: ConnectionState): void {
    const connected = state.status === 'connected';
    if (connected === this.#connected) return;
    this.#connected = connected;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#birthDue = connected && this.#settings.birth !== undefined;
    if (!connected) return;
    this.#sendBirthWhenDue();
    if (this.#settings.birth && this.#settings.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#publish(this.#settings.birth), timerDelay(this.#settings.heartbeatMs));
    }
  }

  /** Sends the close message (when connected), then leaves the connection: the last user out closes it. */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#stopWatching?.();
    await this.#sendClose();
    this.#connection.beforeDisconnect = undefined;
    await this.#connection.deregister(this);
  }

  /** The birth message waits for the subscriptions, so that a subscriber on this same connection hears it too. */
  #sendBirthWhenDue(): void {
    if (!this.#birthDue || !this.#connected || !this.#connection.subscriptionsSettled) return;
    this.#birthDue = false;
    void this.#publish(this.#settings.birth);
  }

  async #sendClose(): Promise<void> {
    if (!this.#settings.close || this.#connection.state.status !== 'connected') return;
    await awaitAtMost(this.#publish(this.#settings.close), CLOSE_WAIT_MS);
  }

  async #publish(message: { channel: string; event: unknown } | undefined): Promise<void> {
    if (!message) return;
    try {
      this.#authorizer ??= this.#settings.authorizer();
      const result = await this.#connection.publish(message.channel, [message.event], { transport: 'websocket', authorizer: this.#authorizer });
      const failed = result.failed[0];
      if (failed) throw new EventsError({ errorType: String(failed.code ?? 'PublishFailed'), message: failed.message ?? 'refused' });
    } catch (err) {
      this.#warn(err instanceof EventsError ? err : new EventsError({ errorType: 'PublishFailed', message: String(err) }));
    }
  }
}
