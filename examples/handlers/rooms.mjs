// An AppSync Events handler for the "rooms" namespace (APPSYNC_JS), run by `appsync-events-local --config api.json`
// as AppSync would run it: stamps every event with its channel (a subscriber to rooms/* cannot otherwise tell which
// room an event came from), refuses subscriptions to rooms/staff, and fails empty events.
import { util } from '@aws-appsync/utils';

export function onSubscribe(ctx) {
  if (ctx.info.channel.segments[1] === 'staff') util.unauthorized();
}

export function onPublish(ctx) {
  return ctx.events.map(({ id, payload }) =>
    payload === null ? { id, error: 'empty event' } : { id, payload: { ...payload, channel: ctx.info.channel.path } });
}
