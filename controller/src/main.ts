/**
 * Sluice's entry point from source (`npm start`; the image runs the bundle dist/bundle/controller.js, which
 * resolves the same import at build time: controller/bundle.ts): registers the hook that keeps client-node's generated models out of the process (kube/clientNodeHook.ts), then
 * runs the controller (runController.ts). The hook must be in place before the controller's modules are linked,
 * hence the dynamic import.
 */
import { importWithSlimClientNode } from './kube/clientNodeHook.ts';

await importWithSlimClientNode(() => import('./runController.ts'));
