/**
 * Runs one informer, sees one watch event, stops it and then does nothing: the process must exit by itself,
 * which it can only do if the informer left no timer and no socket behind. Arguments: kubeconfig, namespace.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Informer } from '../../../controller/src/kube/informer.ts';
import { configMapsRef } from '../../../controller/src/kube/resourceRef.ts';

const [kubeconfig, namespace] = process.argv.slice(2);
if (kubeconfig === undefined || namespace === undefined)
  throw new Error('usage: informerThenStop.ts <kubeconfig> <namespace>');
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);

const informer = new Informer(kc, {
  resource: configMapsRef,
  namespace,
  labelSelector: 'story=exit',
  resyncPeriodMs: 60_000,
  noProgressTimeoutMs: 60_000,
});
const seen = new Promise<void>((resolve) => informer.onChange(() => resolve()));
informer.start();
await informer.synced;
await kc
  .makeApiClient(CoreV1Api)
  .createNamespacedConfigMap({ namespace, body: { metadata: { name: 'exit', labels: { story: 'exit' } } } });
await seen;
await informer.stop();
console.log('stopped');
