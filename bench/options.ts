/** The options of `npm run bench`, parsed from its command line (`--help` prints the usage). */
import { join, resolve } from 'node:path';
import { imageNodeFlags } from '../test/support/imageCommand.ts';
import { benchRouters, isBenchRouter, type BenchRouter } from './routerObjects.ts';

export interface Options {
  sizes: number[];
  aborts: number;
  promotes: number;
  /** Rounds of the blue-green switch and switch back, for each of its kinds (Service, HTTPRoute); 0 skips them. */
  blueGreen: number;
  out: string;
  qps: number;
  burst: number;
  concurrency: number;
  idleSeconds: number;
  clientConcurrency: number;
  reaction: boolean;
  force: boolean;
  /** Run the controller of this commit (exported from git) instead of the work tree's. */
  commit: string | undefined;
  /** compiled: the bundle the image runs (controller/bundle.ts); source: the .ts files through Node's type stripping. */
  entry: 'compiled' | 'source';
  /** A diff (git apply) to the exported controller: measures a proposed change without touching the work tree. */
  patch: string | undefined;
  /** Node options for the controller process: the image's CMD's unless --node-options says (e.g. "--max-old-space-size=128"). */
  nodeOptions: string[];
  /** Skip the canary of the scale runs (start-up, takeover, memory and idle only), for sizes whose canary takes too long. */
  canary: boolean;
  /** Only delete what earlier runs left behind (namespaces and nodes labelled sluice.dev/bench), then exit. */
  cleanup: boolean;
  /** With --cleanup=<run id>: only that run's namespaces and nodes (the id ends their names). */
  cleanupRun: string | undefined;
  /** The traffic router of the reaction benchmark's apps (the scale runs always use an HTTPRoute). */
  router: BenchRouter;
  /**
   * Runs the compared scenario (compare.ts) at each of --sizes: argo for Sluice and Argo Rollouts one after the
   * other; sluice for Sluice's side alone, to measure a change to Sluice on that scenario in a third of the time.
   */
  compare: 'argo' | 'sluice' | undefined;
}

const usage = [
  `usage: npm run bench -- [--sizes 100,1000] [--aborts 50] [--promotes 20] [--blue-green 20] [--router ${benchRouters.join('|')}] [--out file.json] [--qps 100] [--burst 200] [--concurrency 8] [--idle-seconds 30] [--client-concurrency 32] [--no-reaction] [--no-canary] [--force] [--commit REV] [--patch FILE] [--entry compiled|source] [--node-options "--max-old-space-size=128"] [--cleanup[=RUN]] [--compare argo|sluice]`,
  '  --sizes=           no scale runs: the reaction benchmark only',
  '  --blue-green N     rounds of blue-green switch and switch back through an active Service and through an HTTPRoute (0 skips them)',
  `  --router NAME      the reaction benchmark's apps route through ${benchRouters[0]} (an HTTPRoute, the default), grpcRoute (a GRPCRoute), istio (a VirtualService, host-based), istioSubsets (a VirtualService and a DestinationRule), nginx (a stable Ingress; the weight is read from Sluice's canary Ingress) or smi (a TrafficSplit)`,
  '  --compare argo     each --sizes run side by side with Argo Rollouts v1.9.1 (4-replica Deployments, replica-ratio canary), instead of the scale runs',
  "  --compare sluice   Sluice's side of that comparison alone (to measure a change to Sluice on the same scenario)",
].join('\n');

export function parseOptions(argv: readonly string[]): Options {
  const today = new Date().toISOString().slice(0, 10);
  const o: Options = {
    sizes: [100, 1000],
    aborts: 50,
    promotes: 20,
    blueGreen: 20,
    out: join('bench', 'results', `${today}.json`),
    qps: 100,
    burst: 200,
    concurrency: 8,
    idleSeconds: 30,
    clientConcurrency: 32,
    reaction: true,
    force: false,
    commit: undefined,
    entry: 'compiled',
    patch: undefined,
    nodeOptions: imageNodeFlags(),
    canary: true,
    cleanup: false,
    cleanupRun: undefined,
    router: 'gatewayAPI',
    compare: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return v;
    };
    const int = (min: number) => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new Error(`${flag} takes a whole number of at least ${min}\n${usage}`);
      return v;
    };
    switch (flag) {
      case '--sizes':
        o.sizes = value()
          .split(',')
          .filter((s) => s !== '')
          .map((s) => {
            const n = Number(s.replaceAll('_', ''));
            if (!Number.isInteger(n) || n < 1) throw new Error(`--sizes takes whole numbers, like 100,1000; got ${s}`);
            return n;
          });
        break;
      case '--aborts':
        o.aborts = int(0);
        break;
      case '--promotes':
        o.promotes = int(0);
        break;
      case '--blue-green':
        o.blueGreen = int(0);
        break;
      case '--out':
        o.out = value();
        break;
      case '--qps':
        o.qps = int(1);
        break;
      case '--burst':
        o.burst = int(1);
        break;
      case '--concurrency':
        o.concurrency = int(1);
        break;
      case '--idle-seconds':
        o.idleSeconds = int(1);
        break;
      case '--client-concurrency':
        o.clientConcurrency = int(1);
        break;
      case '--no-reaction':
        o.reaction = false;
        break;
      case '--force':
        o.force = true;
        break;
      case '--cleanup':
        o.cleanup = true;
        o.cleanupRun = inline;
        break;
      case '--no-canary':
        o.canary = false;
        break;
      case '--commit':
        o.commit = value();
        break;
      case '--patch':
        o.patch = resolve(value());
        break;
      case '--node-options':
        o.nodeOptions = value()
          .split(' ')
          .filter((x) => x !== '');
        break;
      case '--entry': {
        const v = value();
        if (v !== 'compiled' && v !== 'source') throw new Error(`--entry is compiled or source, got ${v}`);
        o.entry = v;
        break;
      }
      case '--router': {
        const v = value();
        if (!isBenchRouter(v)) throw new Error(`--router is one of ${benchRouters.join(', ')}; got ${v}`);
        o.router = v;
        break;
      }
      case '--compare': {
        const v = value();
        if (v !== 'argo' && v !== 'sluice')
          throw new Error(
            `--compare takes argo (Sluice and Argo Rollouts side by side) or sluice (Sluice's side alone); got ${v}`,
          );
        o.compare = v;
        break;
      }
      case '-h':
      case '--help':
        console.log(usage);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${usage}`);
    }
  }
  return o;
}
