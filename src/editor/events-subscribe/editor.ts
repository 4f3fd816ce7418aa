import { showChannelProblems } from '../browser/channel-check';
import { dialogDefaults, type DialogNode } from '../browser/dialog-defaults';
import { SUBSCRIBE_SETTINGS } from '../node-settings';

/** A whole namespace (`ns/*`) and a blank channel (given by messages) each get a tip. */
function showChannelTips(): void {
  const channel = String($('#node-input-channel').typedInput('value') ?? '').trim().replace(/^\//, '');
  $('.appsync-wildcard-tip').toggle(/^[^/]+\/\*$/.test(channel));
  $('.appsync-dynamic-tip').toggle(channel === '');
}

export function registerSubscribeEditor(): void {
  RED.nodes.registerType<DialogNode>('events-subscribe', {
    category: 'network',
    color: '#F3B567',
    paletteLabel: 'appsync subscribe',
    defaults: {
      ...dialogDefaults(SUBSCRIBE_SETTINGS),
      // The ports follow the settings: an input for a node given its channels by messages, a second output for states.
      inputs: { value: 0 },
      outputs: { value: 1 },
    },
    inputs: 0,
    outputs: 1,
    icon: 'appsync-events.svg',
    label: function () {
      return String(this.name || this.channel || 'appsync subscribe');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    outputLabels: ['events', 'subscription state'],
    oneditprepare: function () {
      $('#node-input-channel').typedInput({
        default: 'str',
        types: [...SUBSCRIBE_SETTINGS.channelType.choices],
        typeField: '#node-input-channelType',
      });
      $('#node-input-channel').on('change', showChannelTips);
      showChannelTips();
      showChannelProblems('subscribe');
    },
    oneditsave: function () {
      // The editor reads the ports from the node after oneditsave (the core switch node sets `outputs` the same way);
      // @types/node-red__editor-client marks them read-only.
      Object.assign(this, {
        inputs: String($('#node-input-channel').typedInput('value') ?? '').trim() === '' ? 1 : 0,
        outputs: $('#node-input-stateOutput').is(':checked') ? 2 : 1,
      });
    },
  });
}
