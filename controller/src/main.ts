/**
 * Sluice's entry point (`npm start`, and the container's command, compiled to dist/controller/src/main.js):
 * registers the hook that keeps client-node's generated models out of the process (kube/clientNodeHook.ts), then
 * runs the controller (runController.ts). The hook must be in place before the controller's modules are linked,
 * hence the dynamic import.
 */
import { importWithSlimClientNode } from './kube/clientNodeHook.ts';

await importWithSlimClientNode(() => import('./runController.ts'));
