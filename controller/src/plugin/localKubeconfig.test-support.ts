/** For the plugin's tests against a local HTTP server standing in for the API server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a kubeconfig whose current context talks to http://127.0.0.1:`port` in namespace shop; returns its path. */
export function localKubeconfig(port: number, context = 'c'): string {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'sluice-plugin-')), 'config');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: context, cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'me', user: { token: 'x' } }],
      contexts: [{ name: context, context: { cluster: context, user: 'me', namespace: 'shop' } }],
      'current-context': context,
    }),
  );
  return kubeconfig;
}
