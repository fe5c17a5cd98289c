/**
 * A module resolve hook that lets client-node's KubeConfig load without the generated models: client-node's
 * dist/config.js imports two names from './gen/index.js', which re-exports every model and API class (125 MiB of
 * RSS for config.js with it, 81 without); this hook sends that one import to clientNodeGen.ts, which exports just
 * those two. Every other import resolves as usual.
 *
 * ESM links a module's whole static graph before it evaluates any of it, so the hook must be registered before the
 * graph that reaches config.js is imported: the process entries (main.ts, bin/kubectl-sluice.js) import this module
 * first, then the rest with a dynamic import. Only node: built-ins here, for the same reason.
 */
import { registerHooks } from 'node:module';

/**
 * Where the hook sends config.js's import: clientNodeGen beside this file, .ts when Node runs the source, .js in the
 * compiled image. A URL, not an import, so that nothing loads it but config.js.
 */
export const genUrl = new URL(`./clientNodeGen${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
  .href;

/** Whether the import of `specifier` from `parentUrl` is config.js's import of client-node's generated index. */
export function isGeneratedIndexOfConfig(specifier: string, parentUrl: string | undefined): boolean {
  return specifier === './gen/index.js' && parentUrl?.endsWith('/@kubernetes/client-node/dist/config.js') === true;
}

let registered = false;

/** Registers the hook once per process (module hooks are process-wide and cannot be removed one by one). */
export function registerClientNodeHook(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (isGeneratedIndexOfConfig(specifier, context.parentURL)) return { url: genUrl, shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
}

/**
 * Imports `load` with the hook in place, and turns a link error about the redirected index into a message that
 * says what to do: a client-node upgrade whose config.js imports a name clientNodeGen.ts does not export.
 */
export async function importWithSlimClientNode<T>(load: () => Promise<T>): Promise<T> {
  registerClientNodeHook();
  try {
    return await load();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Node's message names the specifier config.js asked for ('./gen/index.js'), not the module it was sent to.
    if (err instanceof SyntaxError && message.includes("'./gen/index.js'")) {
      throw new Error(
        `@kubernetes/client-node's config.js imports something controller/src/kube/clientNodeGen.ts does not ` +
          `export (${message}): add it there (the installed client-node is newer than Sluice knows)`,
        { cause: err },
      );
    }
    throw err;
  }
}
