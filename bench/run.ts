/**
 * `npm run bench -- [--sizes 100,1000] [--aborts 50] [--promotes 20] [--blue-green 20] [--router gatewayAPI|grpcRoute|istio|istioSubsets|nginx|smi] [--out bench/results/<date>.json]
 *   [--qps 100] [--burst 200] [--concurrency 8] [--idle-seconds 30] [--client-concurrency 32] [--no-reaction] [--no-canary] [--force]
 *   [--commit REV] [--patch FILE] [--entry compiled|source] [--node-options "--max-old-space-size=128"] [--cleanup[=RUN]] [--compare argo|sluice]`
 *
 * Benchmarks the controller against the local control plane (started if it is not running, and then stopped
 * again; one that was running is reused and left running): reaction times, memory, throughput, API load and
 * cost per rollout. Prints tables and writes the numbers as JSON. The options are in options.ts (`--help`). Each scenario has its own namespace and its
 * own controller process, and is cleaned up after. With --compare argo the sizes run side by side with Argo
 * Rollouts (compare.ts) instead of the scale runs. Not a test: nothing here passes or fails on a number.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { crdsDir } from '../controller/src/api/generateCrds.ts';
import { resources } from '../controller/src/api/resources.ts';
import { down, runningControlPlane, up } from '../test/cluster/controlPlane.ts';
import { repoRoot } from '../test/cluster/paths.ts';
import { waitFor } from '../test/support/wait.ts';
import type { BenchContext } from './context.ts';
import { applyServerSide, benchLabel, connect, deleteNamespace, deleteNodes, type Kube } from './kube.ts';
import { contention, otherTestRuns } from './machine.ts';
import { parseOptions } from './options.ts';
import { benchReaction, type ReactionResult } from './reaction.ts';
import { outcomeExitCode, outcomeLines } from './outcomeCheck.ts';
import { blueGreenTable, costTable, explanations, reactionTable, scaleTable } from './report.ts';
import { benchScale, type ScaleResult } from './scale.ts';
import { compareAt, prepareArgo } from './compare.ts';
import { compareNotesFor, comparisonTable, type Comparison } from './compareFigures.ts';

/** `kubectl apply --server-side -k crds/`, as a user installs them, then waits until every Sluice kind is served. */
async function installCrds(kube: Kube): Promise<void> {
  applyServerSide(kube, crdsDir);
  const custom = kube.kc.makeApiClient(CustomObjectsApi);
  for (const def of resources) {
    await waitFor(
      () =>
        custom
          .listClusterCustomObject({ group: 'sluice.dev', version: 'v1alpha1', plural: def.plural, limit: 1 })
          .then(() => true),
      { timeoutMs: 30_000, what: `${def.plural}.sluice.dev to be served` },
    );
  }
}

/**
 * Where the controller under test comes from: the work tree (benchmark your change), or with --commit that
 * commit's controller/ exported into the work folder, so edits in progress elsewhere in the tree cannot change
 * what is measured. With --entry compiled (the default) it is compiled with tsconfig.build.json and run as
 * JavaScript, the way the image runs it; --entry source runs the .ts files through Node's type stripping.
 * node_modules and the built dashboard are found up the tree, in the repository.
 */
function controllerSource(
  commit: string | undefined,
  entry: 'compiled' | 'source',
  patch: string | undefined,
  workDir: string,
  progress: (m: string) => void,
): { entry: string; commit: string; dirty: boolean } {
  const git = (...args: string[]) => execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' }).trim();
  let srcDir = repoRoot;
  let sha = git('rev-parse', 'HEAD');
  let dirty = git('status', '--porcelain', '--', 'controller') !== '';
  if (commit !== undefined) {
    sha = git('rev-parse', '--verify', `${commit}^{commit}`);
    dirty = false;
    srcDir = join(workDir, 'src');
    mkdirSync(srcDir, { recursive: true });
    execFileSync('bash', [
      '-c',
      'git -C "$1" archive "$2" controller package.json tsconfig.json tsconfig.build.json | tar -x -C "$3"',
      '_',
      repoRoot,
      sha,
      srcDir,
    ]);
    if (patch !== undefined)
      execFileSync('git', ['apply', '--unsafe-paths', `--directory=${relative(repoRoot, srcDir)}`, patch], {
        cwd: repoRoot,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
  }
  if (entry === 'source') return { entry: join(srcDir, 'controller/src/main.ts'), commit: sha, dirty };
  const outDir = join(workDir, 'dist');
  try {
    execFileSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(srcDir, 'tsconfig.build.json'),
        '--outDir',
        outDir,
      ],
      { cwd: srcDir, encoding: 'utf8' },
    );
  } catch (err) {
    // tsc still emits on type errors (someone else's edit in progress); the run goes on if main.js is there.
    progress(
      `note: tsc reported errors compiling the controller: ${String((err as { stdout?: string }).stdout ?? err).slice(0, 500)}`,
    );
  }
  // The image runs the bundle (controller/bundle.ts); a commit from before it had one runs tsc's main.js.
  if (existsSync(join(srcDir, 'controller/bundle.ts'))) {
    // The bundler resolves packages upwards from the sources: an exported commit gets the checkout's node_modules.
    if (!existsSync(join(srcDir, 'node_modules')))
      symlinkSync(join(repoRoot, 'node_modules'), join(srcDir, 'node_modules'));
    execFileSync(process.execPath, [join(srcDir, 'controller/bundle.ts'), '--out-dir', join(outDir, 'bundle')], {
      cwd: srcDir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { entry: join(outDir, 'bundle/controller.js'), commit: sha, dirty };
  }
  const main = join(outDir, 'controller/src/main.js');
  if (!existsSync(main)) throw new Error(`compiling the controller produced no ${main}`);
  return { entry: main, commit: sha, dirty };
}

/** Runs the benchmark; resolves to the process's exit code. */
async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const progress = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
  if (opts.sizes.some((n) => n >= 10_000) && !opts.force) {
    const others = otherTestRuns();
    if (others.length > 0)
      throw new Error(
        `other test runs are using the machine (pgrep vitest):\n${others.join('\n')}\n10,000 rollouts would disturb them and be disturbed; wait, or pass --force`,
      );
  }
  const atStart = contention();
  if (atStart.otherTestRuns.length > 0)
    progress(
      `note: other test runs share the machine (load average ${atStart.loadAverage.join(', ')}); the numbers will show it`,
    );
  const runId = randomBytes(3).toString('hex');
  const workDir = join(repoRoot, '.sluice', 'bench', runId);
  mkdirSync(workDir, { recursive: true });

  const reused = runningControlPlane() !== undefined;
  const started = performance.now();
  const cp = await up();
  progress(
    `${reused ? 'reusing the running' : 'started a'} control plane at ${cp.server} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  try {
    const kube = connect(cp.kubeconfig);
    await installCrds(kube);
    const leftovers = (await kube.core.listNamespace({ labelSelector: `${benchLabel}=true` })).items.map(
      (n) => n.metadata!.name!,
    );
    if (opts.cleanup) {
      // Deletes every benchmark namespace there is now, with the nodes of the same runs (named ...-<run id>-<i>):
      // a run that starts meanwhile keeps its own. Stop a run's controller first: its finalizers are taken off.
      const doomed = leftovers.filter((ns) => opts.cleanupRun === undefined || ns.endsWith(`-${opts.cleanupRun}`));
      const runIds = doomed.map((ns) => ns.split('-').at(-1)!);
      const nodes = (await kube.core.listNode({ labelSelector: `${benchLabel}=true` })).items
        .map((n) => n.metadata!.name!)
        .filter((name) => runIds.some((id) => new RegExp(`-${id}-\\d+$`).test(name)));
      for (const ns of doomed)
        progress(
          `deleting namespace ${ns}: ${(await deleteNamespace(kube, ns, 900_000)) ? 'gone' : 'still terminating'}`,
        );
      await deleteNodes(kube, nodes);
      progress(`deleted ${nodes.length} benchmark nodes`);
      return 0;
    }
    if (leftovers.length > 0)
      progress(
        `note: namespaces of earlier benchmark runs are still there (npm run bench -- --cleanup deletes them): ${leftovers.join(', ')}`,
      );
    const source = controllerSource(
      opts.patch === undefined ? opts.commit : (opts.commit ?? 'HEAD'),
      opts.entry,
      opts.patch,
      workDir,
      progress,
    );
    progress(
      `controller (${opts.entry}) from ${opts.commit === undefined && opts.patch === undefined ? 'the work tree at' : 'commit'} ${source.commit.slice(0, 12)}${source.dirty ? ' with uncommitted changes' : ''}${opts.patch === undefined ? '' : ` with ${relative(repoRoot, opts.patch)} applied`}`,
    );
    const ctx: BenchContext = {
      kube,
      clusterDir: cp.dir,
      flags: { qps: opts.qps, burst: opts.burst, concurrency: opts.concurrency, nodeOptions: opts.nodeOptions },
      controllerEntry: source.entry,
      workDir,
      clientConcurrency: opts.clientConcurrency,
      runId,
      progress,
    };
    progress(
      `controller flags: --kube-api-qps ${opts.qps} --kube-api-burst ${opts.burst} --concurrency ${opts.concurrency}${opts.nodeOptions.length > 0 ? `; node ${opts.nodeOptions.join(' ')}` : ''}; logs in ${relative(repoRoot, workDir)}`,
    );
    // Built (or found in the cache) before anything is measured, so that a failed build costs no run.
    const argo = opts.compare === 'argo' ? await prepareArgo(ctx) : undefined;

    let reaction: ReactionResult | undefined;
    if (opts.reaction && (opts.aborts > 0 || opts.promotes > 0 || opts.blueGreen > 0)) {
      reaction = await benchReaction(ctx, {
        aborts: opts.aborts,
        promotes: opts.promotes,
        abortRollouts: 5,
        router: opts.router,
        blueGreen: opts.blueGreen,
        blueGreenRollouts: 3,
      });
      console.log(`\n${reactionTable(reaction)}\n`);
      console.log(`${outcomeLines(reaction.outcomes).join('\n')}\n`);
      if (reaction.blueGreen !== undefined) console.log(`${blueGreenTable(reaction.blueGreen)}\n`);
    }
    const scale: ScaleResult[] = [];
    const compare: Comparison[] = [];
    if (opts.compare !== undefined) {
      for (const n of opts.sizes) {
        progress(`compare: ${n} rollouts, ${argo === undefined ? "Sluice's side alone" : 'Sluice then Argo Rollouts'}`);
        compare.push(await compareAt(ctx, n, { idleSeconds: opts.idleSeconds, argoBinary: argo?.binary }));
        console.log(`\n${comparisonTable(compare.at(-1)!)}\n`);
      }
      for (const e of compareNotesFor(argo !== undefined)) console.log(`- ${e}`);
    }
    for (const n of opts.compare === undefined ? opts.sizes : []) {
      progress(`scale: ${n} rollouts`);
      scale.push(await benchScale(ctx, n, { idleSeconds: opts.idleSeconds, canary: opts.canary }));
      console.log(`\n${scaleTable(scale)}\n`);
    }
    if (reaction !== undefined) console.log(`${costTable(reaction, scale)}\n`);
    // The explanations are those of the reaction and scale tables; --compare prints its own notes.
    if (reaction !== undefined || scale.length > 0) for (const e of explanations) console.log(`- ${e}`);

    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
    const out = {
      date: new Date().toISOString(),
      command,
      machineAtStart: atStart,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        kernel: release(),
        node: process.version,
      },
      controllerFlags: ctx.flags,
      controllerSource: {
        commit: source.commit,
        uncommittedChanges: source.dirty,
        entry: opts.entry,
        patch: opts.patch === undefined ? undefined : relative(repoRoot, opts.patch),
      },
      controlPlane: { reused, server: cp.server },
      options: opts,
      reaction,
      scale,
      compare:
        opts.compare === undefined
          ? undefined
          : { argoRollouts: argo?.version, runs: compare, notes: compareNotesFor(argo !== undefined) },
      notes: explanations,
    };
    const file = resolve(repoRoot, opts.out);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    progress(`wrote ${relative(repoRoot, file)}`);
    // The numbers are written either way; a mismatch fails the run, so that CI and scripts cannot miss it.
    const code = outcomeExitCode(reaction?.outcomes ?? []);
    if (code !== 0) progress(`the outcome metrics did not count what the benchmark ran (MISMATCH above): exit ${code}`);
    return code;
  } finally {
    if (!reused) {
      progress('stopping the control plane this run started');
      await down();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
