/** The machine the config loader runs on: its pod namespace, host name and a random suffix. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** What the loader asks of the machine it runs on; tests pass their own. */
export interface ConfigHost {
  /** The namespace of the pod this runs in, or undefined outside a cluster. */
  podNamespace(): string | undefined;
  hostname(): string;
  /** A few random characters, so that two controllers on one host have different identities. */
  randomSuffix(): string;
}

const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const machineHost: ConfigHost = {
  podNamespace() {
    try {
      return readFileSync(serviceAccountNamespaceFile, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  },
  hostname: () => hostname(),
  randomSuffix: () => randomBytes(3).toString('hex'),
};
