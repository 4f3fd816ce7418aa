// An AppSync Events channel-namespace handler (APPSYNC_JS) that stamps each event with the channel it was published
// to: a `data` frame names only the subscription, so a subscriber to a wildcard (devices/*) cannot otherwise tell which
// channel an event came from. The events-subscribe node's "Topic from" (topicProperty) = channel makes it msg.topic.
// Events that are not JSON objects pass unchanged. The same file runs in appsync-events-local
// (--namespace devices:examples/handlers/stamp-channel.js) and on AppSync (README: "Which channel an event came from").
export function onPublish(ctx) {
  return ctx.events.map(({ id, payload }) =>
    payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? { id, payload: { ...payload, channel: ctx.info.channel.path } } : { id, payload },
  );
}
