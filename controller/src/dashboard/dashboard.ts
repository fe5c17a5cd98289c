/**
 * Wires the dashboard to a running controller: the Rollout informer's changes feed the weight history and the
 * stream, an Event feed keeps each rollout's recent Events, and the HTTP server answers from those. runController.ts starts
 * it after the health server and closes it on shutdown.
 */
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Caches } from '../reconcile/caches.ts';
import { kubernetesRolloutWriter } from './actions.ts';
import { findAssetsDir, loadAssets } from './assets.ts';
import { defaultDashboardAudience, KubernetesAuthorizer } from './auth.ts';
import { EventFeed } from './eventFeed.ts';
import { WeightHistory } from './weightHistory.ts';
import { allowedDashboardHosts } from './hostCheck.ts';
import { RecentEvents } from './recentEvents.ts';
import { dashboardServer, type DashboardLimits } from './server.ts';
import { RolloutStream } from './stream.ts';
import { keyOfRollout, rolloutViews } from './view.ts';

export interface DashboardOptions {
  /** Reads the Events and writes the actions (with the controller's identity). */
  kc: KubeConfig;
  /**
   * Asks the API server about tokens (TokenReview, SubjectAccessReview): a KubeConfig of its own with its own rate
   * limit, so that requests from anyone who can reach the port never spend the reconciler's API budget.
   */
  authKc: KubeConfig;
  /** The audience of tokens made for the dashboard (kubectl create token --audience); tokens for the API server pass too. */
  audience?: string;
  /** Host names the dashboard is reached by besides loopback and the pod's own name and addresses (a proxy, an Ingress). */
  allowedHosts?: readonly string[];
  limits?: Partial<DashboardLimits>;
  caches: Pick<Caches, 'rollouts' | 'analysisTemplates' | 'clusterAnalysisTemplates'>;
  /** Registers a handler for changed Rollout keys (namespace/name); returns its remover. */
  onRolloutChange: (handler: (key: string) => void) => () => void;
  ready: () => boolean;
  log: Logger;
  basePath: string;
  actions: boolean;
  /** The namespace the controller watches; empty for all. */
  namespace: string;
  version: string;
  /** Who reports the dashboard's Events (the pod name). */
  reportingInstance: string;
  /** dashboard/dist; found next to the code when omitted. */
  assetsDir?: string;
}

export interface Dashboard {
  server: FastifyInstance;
  listen(host: string, port: number): Promise<void>;
  close(): Promise<void>;
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const { caches, log } = options;
  const history = new WeightHistory();
  const events = new RecentEvents({
    exists: (key, uid) => {
      const [namespace, name] = key.split('/') as [string, string];
      return caches.rollouts.get(namespace, name)?.metadata.uid === uid;
    },
  });
  const views = rolloutViews({ ...caches, history, events });
  const stream = new RolloutStream(views);

  const recordWeight = (key: string) => {
    const rollout = views.rollout(key);
    if (rollout === undefined) {
      history.forget(key);
      events.forget(key);
    } else {
      history.record(key, rollout.status?.weights?.canary ?? 0);
    }
  };
  // Rollouts listed before this handler was registered; later ones arrive through it.
  for (const rollout of caches.rollouts.list()) recordWeight(keyOfRollout(rollout));
  const removeHandler = options.onRolloutChange((key) => {
    recordWeight(key);
    stream.rolloutChanged(key);
  });
  const feed = new EventFeed(options.kc, {
    namespace: options.namespace,
    events,
    onChange: (key) => stream.eventsChanged(key),
    onError: (err) =>
      log.warn(
        { err: { message: err instanceof Error ? err.message : String(err) } },
        'dashboard: the Event watch failed; retrying',
      ),
  });

  const assetsDir = options.assetsDir ?? findAssetsDir();
  const assets = loadAssets(assetsDir);
  if (assets === undefined)
    log.warn('dashboard: the page is not built (npm run build:dashboard); only its JSON API is served');
  const server = dashboardServer({
    views,
    ready: options.ready,
    stream,
    authorizer: new KubernetesAuthorizer(options.authKc, { audience: options.audience ?? defaultDashboardAudience }),
    writer: kubernetesRolloutWriter(options.kc, options.reportingInstance),
    assets,
    log,
    basePath: options.basePath,
    actions: options.actions,
    namespace: options.namespace,
    version: options.version,
    // The pod's host name too: it is the pod's name in a cluster even when --pod-name is not set.
    allowedHosts: allowedDashboardHosts(options.reportingInstance, [hostname(), ...(options.allowedHosts ?? [])]),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });

  return {
    server,
    async listen(host, port) {
      feed.start();
      await server.listen({ host, port });
    },
    async close() {
      removeHandler();
      stream.close();
      await Promise.all([server.close(), feed.stop()]);
    },
  };
}
