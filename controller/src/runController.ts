/**
 * The controller process, started by main.ts (`npm start`, and the container's command): reads the configuration,
 * connects to the API server, serves /metrics, /healthz and /readyz, and runs the controller while this replica is the leader.
 * SIGTERM and SIGINT shut down gracefully: in-flight reconciles finish and the Lease is released at once.
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from './kube/clientNode.ts';
import { ConfigError, loadConfig, type ControllerConfig } from './config.ts';
import { startController, type Controller } from './controller.ts';
import { startIdleCollector } from './queue/idleCollector.ts';
import { resources } from './api/resources.ts';
import { instrumentKubeConfig, type KubeVerb } from './kube/apiMetrics.ts';
import { crdsLetLead, openApiPath, untilCrdsCurrent, type OpenApiDocument } from './kube/crdCurrency.ts';
import { KubeJsonApi } from './kube/kubeJsonApi.ts';
import { LeaderElector } from './kube/leaderElection.ts';
import { leaderFence, type WriteFence } from './kube/writeFence.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type KubeApiVerb } from './metrics.ts';
import type { Tracer } from './trace/tracer.ts';
import { createDashboard, type Dashboard } from './dashboard/dashboard.ts';
import { healthServer, wedgedReconcile } from './server/health.ts';
import { machineHost } from './configHost.ts';
import { startTracing } from './trace/tracing.ts';

const version = '0.1.0';

function readConfig(): ControllerConfig {
  try {
    const outcome = loadConfig(process.argv.slice(2), process.env);
    if (outcome.kind === 'help') {
      console.log(outcome.text);
      process.exit(0);
    }
    return outcome.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) console.error(`sluice: ${problem}`);
      console.error('sluice: run with --help to see every setting');
      process.exit(2);
    }
    throw err;
  }
}

const apiVerb = (verb: KubeVerb): KubeApiVerb =>
  verb === 'deletecollection' ? 'delete' : verb === 'other' ? 'get' : verb;

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger({ level: config.logLevel });
  const metrics = createMetrics({ version });
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  // Off, and free, unless an OTLP endpoint is set (traceSettings.ts).
  const tracing = startTracing(
    config,
    {
      version,
      instance: config.podName,
      podName: process.env.POD_NAME,
      podNamespace: process.env.POD_NAMESPACE ?? machineHost.podNamespace(),
    },
    { registry: metrics.registry, log },
  );

  const base = new KubeConfig();
  if (config.kubeconfig !== undefined) base.loadFromFile(config.kubeconfig);
  else base.loadFromDefault();
  const instrumented = (fence?: WriteFence, tracer?: Tracer) =>
    instrumentKubeConfig(
      base,
      (verb, code) => metrics.countKubeApiRequest(apiVerb(verb), code === 'error' ? undefined : code),
      {
        rateLimit: { qps: config.kubeApiQps, burst: config.kubeApiBurst },
        userAgent: `sluice/${version}`,
        ...(fence === undefined ? {} : { fence }),
        ...(tracer === undefined ? {} : { tracer }),
      },
    );
  // The dashboard's client: unfenced, since a person's action is allowed on any replica (the reconciler has its own).
  const kc = instrumented();

  // Filled once the informers run; the shutdown and leader callbacks are made before that.
  const running: { controller?: Controller; dashboard?: Dashboard } = {};
  /** For /readyz: set once the CRDs were found current, cleared when a takeover finds them behind. */
  let crdsCurrent = false;
  const stopping = new AbortController();
  const shutdown = async (code: number, why: string) => {
    if (stopping.signal.aborted) return;
    stopping.abort();
    log.info({ why }, 'shutting down');
    // A stuck request must not keep a terminating pod alive: leave after the grace period whatever happens.
    setTimeout(() => {
      log.error('shutdown took longer than 10s; exiting anyway');
      process.exit(code === 0 ? 1 : code);
    }, 10_000).unref();
    await running.controller?.stop();
    log.debug('controller stopped');
    await elector?.release();
    // The last reconciles' spans, after the Lease is handed on: a collector that is away delays no failover, and
    // costs at most these 2 s of the grace period.
    await tracing.shutdown(2_000);
    await running.dashboard?.close();
    await server.close();
    log.info('stopped');
    process.exit(code);
  };
  // Its own connections: a renewal that misses its deadline drops them, and must not drop the reconciles' with them.
  const elector = config.leaderElect
    ? new LeaderElector(instrumented(), {
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        // Unique per process: a restarted replica must campaign anew, never inherit its predecessor's lease.
        identity: `${config.podName}_${randomBytes(4).toString('hex')}`,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        // The CRDs again before any worker starts: they may have been replaced by older ones since start-up.
        onStartedLeading: () => void takeOver(),
        // Like controller-runtime: a replica that lost its lease exits, and starts again as a follower.
        onStoppedLeading: () => {
          metrics.setLeader(false);
          if (!stopping.signal.aborted) void shutdown(1, 'lost the leader lease');
        },
        onError: (err) => log.warn({ err }, 'leader election request failed'),
      })
    : undefined;
  const readCrdSchemas = (signal: AbortSignal) =>
    kc.makeApiClient(KubeJsonApi).get<OpenApiDocument>(openApiPath, signal);
  const takeOver = async () => {
    log.info('became the leader');
    const term = AbortSignal.any([stopping.signal, elector?.leadershipLost() ?? stopping.signal]);
    let mayLead: boolean;
    try {
      mayLead = await crdsLetLead(readCrdSchemas, resources, log, term);
    } catch {
      return; // stopping, or the lease was lost meanwhile: onStoppedLeading has it
    }
    if (!mayLead) {
      // Not Ready, and out: the release hands the lease on at once (to a replica that fits the CRDs, if any), and
      // the restarted process waits for current CRDs before it campaigns again, as at start-up.
      crdsCurrent = false;
      void shutdown(1, 'the CRDs cannot keep what this controller writes');
      return;
    }
    if (term.aborted) return; // the lease was lost during the read
    metrics.setLeader(true);
    running.controller?.startWorkers();
  };
  // One fence for every write the reconciler makes: the executor checks it before it asks, the reconciler's client
  // again right before the request leaves (after its rate-limiter wait), and Unleash admin calls use fence.check
  // too. Not the Lease client (it must write to lead), not Events (they report, as in client-go), not the
  // dashboard's client (a person's action, allowed on any replica).
  const fence = leaderFence(elector);
  const controller = await startController(
    instrumented(fence, tracing.tracer),
    instrumented(),
    config,
    log,
    metrics,
    fence.check,
    instrumented(),
    tracing.tracer,
  );
  running.controller = controller;
  // With node's --expose-gc (the image's command), memory grown in a burst is given back once the queue goes quiet.
  startIdleCollector({
    queue: controller.queue,
    backgroundBusy: () => controller.backgroundRunning() > 0,
    onCollected: (ms) => log.info({ ms: Math.round(ms) }, 'the work queue went quiet: memory given back'),
  });
  // Read while the informers list; awaited before leading (kube/crdCurrency.ts says why).
  const crdsChecked = untilCrdsCurrent(readCrdSchemas, resources, log, stopping.signal);
  const server = healthServer({
    registry: metrics.registry,
    // Not Ready on CRDs that would drop what it writes: a rolling update stops, the old replicas keep leading.
    ready: () => crdsCurrent && controller.ready(),
    problem: wedgedReconcile(controller.queue),
  });
  await server.listen({ host: config.metricsAddress, port: config.metricsPort });

  // The dashboard: its own port, reading the same caches; every replica serves it, leader or not. Its token checks
  // have a client and a rate limit of their own: anyone who can reach the port can send a made-up token, and the
  // TokenReview it costs must never delay a reconciler's write.
  const dashboardAuthKc = instrumentKubeConfig(
    base,
    (verb, code) => metrics.countKubeApiRequest(apiVerb(verb), code === 'error' ? undefined : code),
    {
      rateLimit: { qps: 5, burst: 10 },
      userAgent: `sluice/${version} dashboard`,
    },
  );
  running.dashboard = createDashboard({
    kc,
    authKc: dashboardAuthKc,
    audience: config.dashboardAudience,
    allowedHosts: config.dashboardAllowedHosts,
    caches: controller.caches,
    onRolloutChange: (handler) => controller.onRolloutChange(handler),
    ready: controller.ready,
    log,
    basePath: config.dashboardBasePath,
    actions: config.dashboardActions,
    namespace: config.namespace,
    version,
    reportingInstance: config.podName,
  });
  await running.dashboard.listen(config.metricsAddress, config.dashboardPort);
  log.info(
    { dashboardPort: config.dashboardPort, basePath: config.dashboardBasePath, actions: config.dashboardActions },
    'dashboard started',
  );

  log.info(
    {
      namespace: config.namespace || '(all)',
      instanceId: config.instanceId,
      leaderElect: config.leaderElect,
      metricsPort: config.metricsPort,
    },
    'sluice started',
  );
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));

  try {
    await crdsChecked;
  } catch (err) {
    if (stopping.signal.aborted) return; // shut down while waiting for the CRDs
    throw err;
  }
  crdsCurrent = true;
  if (!config.leaderElect) {
    metrics.setLeader(true);
    controller.startWorkers();
    return;
  }
  await elector?.run(stopping.signal);
}

main().catch((err: unknown) => {
  const log: Logger = createLogger({ level: 'error' });
  log.fatal({ err }, 'sluice could not start');
  process.exit(1);
});
