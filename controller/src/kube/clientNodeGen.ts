/**
 * What client-node's KubeConfig (dist/config.js) imports from its generated index ('./gen/index.js'), and only
 * that: clientNodeHook.ts sends config.js's import here, so that loading KubeConfig does not load every generated
 * model. Should a new client-node import more names from there, the process fails at start with a message that
 * names this file (main.ts), and clientNodeGen.test.ts fails first.
 */
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
