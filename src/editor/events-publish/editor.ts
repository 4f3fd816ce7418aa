import { showChannelProblems } from '../browser/channel-check';
import { dialogDefaults, type DialogNode } from '../browser/dialog-defaults';
import { PUBLISH_SETTINGS } from '../node-settings';

export function registerPublishEditor(): void {
  RED.nodes.registerType<DialogNode>('events-publish', {
    category: 'network',
    color: '#F3B567',
    paletteLabel: 'appsync publish',
    defaults: dialogDefaults(PUBLISH_SETTINGS),
    inputs: 1,
    outputs: 1,
    icon: 'appsync-events.svg',
    align: 'right',
    label: function () {
      return String(this.name || (this.channelType === 'str' && this.channel) || 'appsync publish');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    inputLabels: 'event(s)',
    outputLabels: 'published msg',
    oneditprepare: function () {
      $('#node-input-channel').typedInput({
        default: 'str',
        types: [...PUBLISH_SETTINGS.channelType.choices],
        typeField: '#node-input-channelType',
      });
      showChannelProblems('publish');
      $('#node-input-coalesce')
        .on('change', function () {
          $('.appsync-coalesce-ms').toggle($(this).is(':checked'));
        })
        .trigger('change');
    },
  });
}
