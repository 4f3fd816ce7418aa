// The properties of the four node types: names (a public contract: saved flows carry them), defaults and rules. The
// editor builds each dialog's `defaults` from these; the runtime reads its types and fallbacks from them.
import { DEFAULTS } from '../client/websocket-options';
import { IDENTITY_POOL_ID, ROLE_ARN, TOKEN_URL, USER_POOL_ID } from '../protocol/aws-ids';
import { channelProblem, type ChannelUse } from '../protocol/channel';
import { choice, configNode, flag, matching, numberField, text, type NodeValues, type SettingRule } from './setting-rule';

export const AUTH_TYPES = ['apiKey', 'userPool', 'oidc', 'lambda', 'iam'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];
/** Where a token comes from: kept as given (a credential, env, context), or obtained and renewed by the node. */
export const TOKEN_SOURCES = ['credential', 'env', 'flow', 'global', 'cognito', 'clientCredentials'] as const;
export type TokenSource = (typeof TOKEN_SOURCES)[number];
export const IAM_SOURCES = ['static', 'default', 'cognitoIdentityPool'] as const;
export type IamSource = (typeof IAM_SOURCES)[number];

/** The token sources the node obtains and renews itself, and the auth types that offer each: a Cognito login gives user pool tokens only. */
export const RENEWING_SOURCES: Readonly<Partial<Record<TokenSource, readonly AuthType[]>>> = {
  cognito: ['userPool'],
  clientCredentials: ['userPool', 'oidc'],
};

export const AUTHORIZER_SETTINGS = {
  name: text(),
  authType: { ...choice(AUTH_TYPES, 'apiKey'), required: true },
  tokenSource: choice(TOKEN_SOURCES, 'credential'),
  /** Environment variable or context key when `tokenSource` is env, flow or global. */
  tokenName: text(),
  iamSource: choice(IAM_SOURCES, 'static'),
  roleArn: matching(ROLE_ARN),
  externalId: text(),
  sessionName: text(),
  /** Cognito user pool login (`tokenSource` cognito). */
  userPoolId: matching(USER_POOL_ID),
  /** Shared by the Cognito login and OAuth2 client credentials. */
  clientId: text(),
  tokenUse: choice(['id', 'access'] as const, 'id'),
  /** OAuth2 client credentials (`tokenSource` clientCredentials). */
  tokenUrl: matching(TOKEN_URL),
  scope: text(),
  /** Cognito identity pool (`iamSource` cognitoIdentityPool), and the events-authorizer whose login it uses. */
  identityPoolId: matching(IDENTITY_POOL_ID),
  loginAuthorizer: configNode('events-authorizer'),
};

/** The credentials of an authorizer as Node-RED keeps them: stored apart from the flow, never exported with it. */
export const CREDENTIAL_FIELDS = {
  apiKey: { type: 'password' },
  token: { type: 'password' },
  accessKeyId: { type: 'text' },
  secretAccessKey: { type: 'password' },
  sessionToken: { type: 'password' },
  username: { type: 'text' },
  password: { type: 'password' },
  clientSecret: { type: 'password' },
} as const;

export type CredentialKey = keyof typeof CREDENTIAL_FIELDS;
export const CREDENTIAL_KEYS = Object.keys(CREDENTIAL_FIELDS).filter((k): k is CredentialKey => k in CREDENTIAL_FIELDS);

/** An environment variable `${NAME}` as a setting's value: Node-RED reads it at deploy. */
export const ENV_REFERENCE = /^\$\{\w+\}$/;

/** An endpoint URL as the dialog takes it: http(s) or ws(s), or an environment variable read at deploy. */
const ENDPOINT_URL = new RegExp(`^(https?|wss?)://\\S+$|${ENV_REFERENCE.source}`);

const seconds = (ms: number) => ms / 1000;

const publishable = (channel: string) => !channelProblem(channel.trim(), 'publish');

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const ENDPOINT_SETTINGS = {
  name: text(),
  url: { ...matching(ENDPOINT_URL), required: true },
  realtimeUrl: text(),
  region: text(),
  authorizer: configNode('events-authorizer', true),
  /** Seconds, as every delay of the dialog. */
  reconnectBaseDelay: numberField(seconds(DEFAULTS.reconnectBaseDelayMs)),
  reconnectMaxDelay: numberField(seconds(DEFAULTS.reconnectMaxDelayMs)),
  authRetryDelay: numberField(seconds(DEFAULTS.authRetryDelayMs)),
  /** 0 is no limit per attempt. */
  requestTimeout: numberField(seconds(DEFAULTS.requestTimeoutMs)),
  queueSize: numberField(DEFAULTS.queueSize, 0),
  /** Where queued publishes wait: `memory`, or `file` (they survive restarts and power loss). */
  queueStore: choice(['memory', 'file'] as const, 'memory'),
  /** Megabytes of stored publishes at most (file store). */
  queueMaxMB: numberField(50, 0),
  queueFull: choice(['reject', 'dropOldest'] as const, 'reject'),
  /** Publish requests per second per connection; 0 does not pace. */
  publishRate: numberField(0),
  /** Subscriptions per WebSocket connection; blank: learnt from AppSync's first MaxSubscriptionsReachedError. */
  maxSubscriptionsPerConnection: text('', (v) => Number.isInteger(Number(v)) && Number(v) > 0),
  /** WebSocket connections publishes may spread over when one is saturated; 1 publishes over one connection. */
  publishConnections: numberField(4, 0),
  /** Open the WebSocket when a node first needs it; when false, only on `msg.action = connect`. */
  autoConnect: flag(true),
  tls: configNode('tls-config'),
  /** Without one, the proxy environment variables apply. */
  proxy: configNode('http proxy'),
  /** Published after every connect once the subscriptions are made again; with one set the endpoint connects at deploy. */
  birthChannel: text('', publishable),
  /** JSON text; blank: `{"src": <sourceId>, "status": "online"}`. */
  birthPayload: text('', isJsonText),
  /** Published before a graceful disconnect (msg.action disconnect, a redeploy, Node-RED stopping). */
  closeChannel: text('', publishable),
  /** JSON text; blank: `{"src": <sourceId>, "status": "offline"}`. */
  closePayload: text('', isJsonText),
  /** Seconds between repeats of the birth message; 0 is none. */
  heartbeatInterval: numberField(0),
  /** Names this gateway in presence messages and envelopes; blank: made from the host and the Node-RED user directory. */
  sourceId: text(),
};

/** A channel typed in a dialog is checked by the runtime's own rule; values from msg, flow, global or env are known only at run time. */
const channel = (value: string, use: ChannelUse): SettingRule<string> =>
  text(value, (v: string, node: NodeValues) => node.channelType !== 'str' || !channelProblem(v.trim(), use));

export const PUBLISH_SETTINGS = {
  name: text(),
  endpoint: configNode('events-endpoint', true),
  channel: channel('', 'publish'),
  channelType: choice(['str', 'msg', 'flow', 'global', 'env'] as const, 'str'),
  transport: choice(['websocket', 'http'] as const, 'websocket'),
  /** Overrides the endpoint's authorizer for this node's publishes. */
  authorizer: configNode('events-authorizer'),
  /** Merge single-event messages that arrive within `coalesceMs` into batches of up to 5. */
  coalesce: flag(false),
  coalesceMs: numberField(10, 0),
  /** Each event goes out as {id, src, seq, ts, channel, data} (protocol/envelope.ts). */
  envelope: flag(false),
};

export const SUBSCRIBE_SETTINGS = {
  name: text(),
  endpoint: configNode('events-endpoint', true),
  channel: channel('default/*', 'subscribe'),
  channelType: choice(['str', 'env'] as const, 'str'),
  authorizer: configNode('events-authorizer'),
  output: choice(['json', 'string'] as const, 'json'),
  /** A second output for the subscription's state. */
  stateOutput: flag(false),
  /** The event property whose value becomes `msg.topic` (for events stamped by a channel-namespace handler). */
  topicProperty: text(),
};
