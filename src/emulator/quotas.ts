// AppSync Events' per-connection quotas, as the emulator enforces them by default. The service quotas page lists
// "Subscriptions per client connection" and "Rate of publish requests per client connection"; the figures below are
// the ones quoted for them, not read from AWS documentation (protocol.md §6, UNCERTAIN).

/** Subscriptions one WebSocket may hold; the next is refused with `MaxSubscriptionsReachedError`. Quoted, not documented. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 200;

/** Publish requests per second on one WebSocket; more are refused with `LimitExceededError`. Quoted as 25, not adjustable. */
export const DEFAULT_PUBLISH_REQUESTS_PER_SECOND = 25;
