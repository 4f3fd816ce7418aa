import type { NodeAPI } from 'node-red';
import { registerAuthorizerNode } from './authorizer-node';
import { registerEndpointNode } from './endpoint-node';
import { registerPublishNode } from './publish-node';
import { registerSubscribeNode } from './subscribe-node';
import { registerTestConnectionRoute } from './test-connection-route';

/** One node set for all four types: one bundle, one copy of the client, as the core MQTT nodes do. */
export = function (RED: NodeAPI): void {
  registerAuthorizerNode(RED);
  registerEndpointNode(RED);
  registerPublishNode(RED);
  registerSubscribeNode(RED);
  registerTestConnectionRoute(RED);
};
