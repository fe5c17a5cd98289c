/** A KubeConfig for a test's local API server (plain HTTP, or HTTPS with any certificate), with a bearer token. */
import { KubeConfig } from './clientNode.ts';

/** `into`: an instance of a KubeConfig subclass to fill (InstrumentedKubeConfig); a new KubeConfig otherwise. */
export function localKubeConfig<T extends KubeConfig = KubeConfig>(server: string, token = 't', into?: T): T {
  const kc = into ?? (new KubeConfig() as T);
  kc.loadFromOptions({
    clusters: [{ name: 'local', server, skipTLSVerify: true }],
    users: [{ name: 'sluice', token }],
    contexts: [{ name: 'local', cluster: 'local', user: 'sluice' }],
    currentContext: 'local',
  });
  return kc;
}
