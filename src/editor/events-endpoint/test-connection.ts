import { AUTHORIZER_SETTINGS } from '../node-settings';
import type { DialogNode } from '../browser/dialog-defaults';

/** A config select with nothing chosen holds "_ADD_" (its "Add new..." entry). */
function picked(selector: string): string {
  const value = $(selector).val();
  return typeof value === 'string' && value !== '_ADD_' ? value : '';
}

/** What the Test connection route needs: the dialog's current values and the chosen authorizer's (maybe unsaved) settings and credentials. */
function testRequest(): Record<string, unknown> {
  const authorizerId = picked('#node-config-input-authorizer');
  const authorizer = new Map(Object.entries(RED.nodes.node(authorizerId) ?? {}));
  const authorizerDef = Object.fromEntries(Object.keys(AUTHORIZER_SETTINGS).filter((k) => k !== 'name').map((k) => [k, authorizer.get(k)]));
  return {
    url: $('#node-config-input-url').val(),
    realtimeUrl: $('#node-config-input-realtimeUrl').val(),
    region: $('#node-config-input-region').val(),
    tls: picked('#node-config-input-tls'),
    proxy: picked('#node-config-input-proxy'),
    authorizer: authorizerId,
    authorizerDef,
    credentials: authorizer.get('credentials') ?? {},
    channel: $('#appsync-test-channel').val(),
  };
}

interface TestAnswer {
  ok?: boolean;
  connectMs?: number;
  subscribeMs?: number;
  message?: string;
}

/**
 * The Test connection button: the runtime's own client tries the dialog's values (an admin route of this pack,
 * protected by Node-RED's admin permissions) and the answer shows below the button.
 */
export function wireTestConnection(endpoint: DialogNode & { _: (key: string) => string }): void {
  $('#appsync-test-connection').on('click', () => {
    const result = $('#appsync-test-result').removeClass('appsync-test-ok appsync-test-failed').text(endpoint._('appsync.status.testing')).show();
    $.ajax({ url: 'appsync-events/test-connection', type: 'POST', contentType: 'application/json', data: JSON.stringify(testRequest()) })
      .done((answer: TestAnswer) => {
        if (answer.ok) {
          const subscribed = answer.subscribeMs !== undefined ? `, subscribe_success in ${answer.subscribeMs} ms` : '';
          result.addClass('appsync-test-ok').text(`connection_ack in ${answer.connectMs} ms${subscribed}`);
        } else {
          result.addClass('appsync-test-failed').text(answer.message ?? 'failed');
        }
      })
      .fail((xhr) => {
        result.addClass('appsync-test-failed').text(`HTTP ${xhr.status}${xhr.status === 401 || xhr.status === 403 ? ': you may not change endpoints' : ''}`);
      });
  });
}
