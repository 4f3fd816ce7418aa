// The editor's script for the four node types, bundled by build.mjs into nodes/appsync-events.html.
import { registerAuthorizerEditor } from '../events-authorizer/editor';
import { registerEndpointEditor } from '../events-endpoint/editor';
import { registerPublishEditor } from '../events-publish/editor';
import { registerSubscribeEditor } from '../events-subscribe/editor';

registerAuthorizerEditor();
registerEndpointEditor();
registerPublishEditor();
registerSubscribeEditor();
