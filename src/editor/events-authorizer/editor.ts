import { dialogDefaults, type DialogNode } from '../browser/dialog-defaults';
import { AUTHORIZER_SETTINGS, CREDENTIAL_FIELDS, type CredentialKey, RENEWING_SOURCES, TOKEN_SOURCES } from '../node-settings';

/** The auth types a token source the node renews itself is offered for; undefined for a token given as it is. */
function renewingFor(source: string): readonly string[] | undefined {
  const known = TOKEN_SOURCES.find((s) => s === source);
  return known && RENEWING_SOURCES[known];
}

/** Shows the rows the chosen auth type and source use; a renewing source the auth type does not offer falls back to this dialog. */
function showRows(): void {
  const type = String($('#node-config-input-authType').val());
  $('#node-config-input-tokenSource option').each(function () {
    const only = renewingFor(this.getAttribute('value') ?? '');
    $(this).toggle(!only || only.includes(type));
  });
  let source = String($('#node-config-input-tokenSource').val());
  if (renewingFor(source) && !renewingFor(source)?.includes(type)) {
    $('#node-config-input-tokenSource').val('credential');
    source = 'credential';
  }
  const iamSource = $('#node-config-input-iamSource').val();
  const usesSecret = type !== 'iam';
  const given = !renewingFor(source);
  $('.appsync-auth-secret').toggle(usesSecret);
  $('.appsync-auth-apikey').toggle(type === 'apiKey' && source === 'credential');
  $('.appsync-auth-token').toggle(usesSecret && type !== 'apiKey' && source === 'credential');
  $('.appsync-auth-tokenname').toggle(usesSecret && given && source !== 'credential');
  $('.appsync-auth-given').toggle(usesSecret && given);
  $('.appsync-auth-cognito').toggle(usesSecret && source === 'cognito');
  $('.appsync-auth-client').toggle(usesSecret && !given);
  $('.appsync-auth-cc').toggle(usesSecret && source === 'clientCredentials');
  $('.appsync-auth-iam').toggle(type === 'iam');
  $('.appsync-auth-iam-static').toggle(type === 'iam' && iamSource === 'static');
  $('.appsync-auth-identitypool').toggle(type === 'iam' && iamSource === 'cognitoIdentityPool');
}

export function registerAuthorizerEditor(): void {
  RED.nodes.registerType<DialogNode, Record<CredentialKey, string>>('events-authorizer', {
    category: 'config',
    paletteLabel: 'appsync authorizer',
    defaults: dialogDefaults(AUTHORIZER_SETTINGS),
    credentials: CREDENTIAL_FIELDS,
    label: function () {
      return String(this.name || `appsync ${this.authType === 'iam' ? 'IAM' : String(this.authType)}`);
    },
    oneditprepare: function () {
      // An authorizer saved before the Cognito login existed opens with the token use a new one has.
      if (!this.tokenUse) $('#node-config-input-tokenUse').val(AUTHORIZER_SETTINGS.tokenUse.value);
      $('#node-config-input-authType, #node-config-input-tokenSource, #node-config-input-iamSource').on('change', showRows);
      showRows();
    },
  });
}
