/** Kubeconfig files for the local control plane: one per identity, all pointing at the same API server. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { ClientCert } from './certs.ts';

export function writeKubeconfig(file: string, server: string, caCert: string, user: string, client: ClientCert): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sluice-local', cluster: { server, 'certificate-authority': caCert } }],
    users: [{ name: user, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name: 'sluice-local', context: { cluster: 'sluice-local', user, namespace: 'default' } }],
    'current-context': 'sluice-local',
  };
  writeFileSync(file, stringify(doc), { mode: 0o600 });
}
