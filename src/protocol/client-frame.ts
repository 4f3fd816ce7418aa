import type { AuthorizationHeaders, ClientMessage } from './messages';

/**
 * Writes the text of the client's frames, each the same JSON as `JSON.stringify(message)`. Publish frames are the hot path
 * (tens of thousands a second in a burst): they are written from their parts, and the authorization, which stays
 * the same from one publish to the next (an API key or a token; IAM signs each), is encoded once while its content
 * does not change (the figures are in bench/README.md).
 */
export class ClientFrameEncoder {
  #authorization: AuthorizationHeaders = {};
  #authorizationSize = -1;
  #authorizationText = '';

  encode(message: ClientMessage): string {
    if (message.type !== 'publish') return JSON.stringify(message);
    let events = '';
    for (const event of message.events) events += events === '' ? JSON.stringify(event) : `,${JSON.stringify(event)}`;
    return `{"type":"publish","id":${JSON.stringify(message.id)},"channel":${JSON.stringify(message.channel)},"events":[${events}],"authorization":${this.#authorizationJson(message.authorization)}}`;
  }

  /** Compared by content, not identity: an authorizer may hand back the same object with new values. */
  #authorizationJson(headers: AuthorizationHeaders): string {
    let size = 0;
    for (const key in headers) {
      if (this.#authorization[key] !== headers[key]) return this.#remember(headers);
      size++;
    }
    return size === this.#authorizationSize ? this.#authorizationText : this.#remember(headers);
  }

  #remember(headers: AuthorizationHeaders): string {
    this.#authorization = { ...headers };
    this.#authorizationSize = Object.keys(headers).length;
    this.#authorizationText = JSON.stringify(headers);
    return this.#authorizationText;
  }
}
