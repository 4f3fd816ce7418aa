import { dialogDefaults, type DialogNode } from '../browser/dialog-defaults';
import { ENDPOINT_SETTINGS, ENV_REFERENCE } from '../node-settings';
import { wireTestConnection } from './test-connection';

const TAB_IDS = ['connection', 'security', 'queue', 'presence', 'advanced'] as const;

/** Settings in tabs, as the core MQTT broker dialog groups them; a newcomer needs only the first. */
function createTabs(label: (key: string) => string): { resize(): void } {
  const tabs = RED.tabs.create({
    element: $('#node-config-appsync-endpoint-tabs'),
    // Node-RED calls onchange with the tab itself (editor-client tabs.js), not the string @types/node-red__editor-client says.
    onchange: (tab: unknown) => {
      $('#node-config-appsync-endpoint-tabs-content').children().hide();
      if (typeof tab === 'object' && tab !== null && 'id' in tab) $(`#${String(tab.id)}`).show();
    },
  });
  TAB_IDS.forEach((id, index) => tabs.addTab({ id: `appsync-endpoint-tab-${id}`, label: label(`appsync.tabs.${id}`) }, index));
  return tabs;
}

/** Endpoints saved before a setting existed open with the value the runtime gives them. */
function fillMissing(endpoint: Record<string, unknown>): void {
  for (const key of ['autoConnect', 'queueStore', 'queueFull', 'queueMaxMB', 'publishRate', 'heartbeatInterval', 'publishConnections'] as const) {
    if (endpoint[key] !== undefined && endpoint[key] !== '') continue;
    const value = ENDPOINT_SETTINGS[key].value;
    if (typeof value === 'boolean') $(`#node-config-input-${key}`).prop('checked', value);
    else $(`#node-config-input-${key}`).val(value);
  }
}

export function registerEndpointEditor(): void {
  RED.nodes.registerType<DialogNode>('events-endpoint', {
    category: 'config',
    paletteLabel: 'appsync endpoint',
    defaults: dialogDefaults(ENDPOINT_SETTINGS),
    label: function () {
      if (this.name) return String(this.name);
      const host = /^\w+:\/\/([^/]+)/.exec(String(this.url ?? ''));
      return host ? String(host[1]).split('.')[0] ?? '' : 'appsync endpoint';
    },
    oneditprepare: function () {
      const tabs = createTabs((key) => this._(key));
      fillMissing(this);
      $('#node-config-input-queueStore')
        .on('change', function () {
          $('.appsync-row-file').toggle($(this).val() === 'file');
        })
        .trigger('change');
      // The TLS row for https/wss URLs only, as the core WebSocket client node shows it.
      $('#node-config-input-url')
        .on('change keyup', function () {
          const url = String($(this).val());
          $('.appsync-row-tls').toggle(/^(https|wss):/i.test(url) || ENV_REFERENCE.test(url));
        })
        .trigger('change');
      wireTestConnection(this);
      setTimeout(() => tabs.resize(), 0);
    },
  });
}
