/**
 * The `job` metric provider's Kubernetes calls (analysis/job.ts JobApi). Creates and deletes go through the
 * controller's write client, fenced like every write the executor makes (apiMetrics.ts checks the leader fence
 * before a write leaves): a replica that is not the leader never starts or deletes a Job. Reads (the Job, its pods,
 * a log) go through the background's read client, with a rate limit of its own, so polling never delays a write.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { KubeConfig } from './clientNode.ts';
import { BatchClient, CoreClient, jsonApi } from './resourceClients.ts';
import type { JobApi } from '../analysis/job.ts';
import { isNotFound } from './apiErrors.ts';

export function kubeJobApi(writes: KubeConfig, reads: KubeConfig): JobApi {
  const batchWrites = new BatchClient(jsonApi(writes));
  const readApi = jsonApi(reads);
  const batchReads = new BatchClient(readApi);
  const coreReads = new CoreClient(readApi);
  return {
    create: (job) => batchWrites.createNamespacedJob({ namespace: job.metadata!.namespace!, body: job }),
    async read(namespace, name): Promise<V1Job | undefined> {
      try {
        return await batchReads.readNamespacedJob({ namespace, name });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async delete(namespace, name, uid): Promise<void> {
      try {
        // The uid precondition: a Job someone made under the same name after ours went is not ours to delete.
        await batchWrites.deleteNamespacedJob({
          namespace,
          name,
          propagationPolicy: 'Background',
          body: { preconditions: { uid } },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async pods(namespace, jobUid): Promise<V1Pod[]> {
      const list = await coreReads.listNamespacedPod({
        namespace,
        labelSelector: `batch.kubernetes.io/controller-uid=${jobUid}`,
        limit: 50,
      });
      return list.items;
    },
    log: (namespace, pod, container, limits) =>
      coreReads.readNamespacedPodLog({
        namespace,
        name: pod,
        ...(container === undefined ? {} : { container }),
        tailLines: limits.tailLines,
        limitBytes: limits.limitBytes,
      }),
  };
}
