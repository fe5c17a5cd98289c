/**
 * The Helm chart's tests' building blocks: the helm command that test/setup/helm.sh builds (pinned, cached outside
 * the repo), `helm template` with a set of values, and objects compared the way the API server would see them:
 * by kind, namespace and name, whatever the order of the documents.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { repoRoot } from '../cluster/paths.ts';
import { parseObjects, type KubeObject } from './installation.ts';

export const chartDir = join(repoRoot, 'manifests/helm/sluice');

let helmPath: string | undefined;
/** The helm binary, built on first use (a minute or two) and cached. */
export function helmBin(): string {
  helmPath ??= join(
    execFileSync('bash', [join(repoRoot, 'test/setup/helm.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim(),
    'helm',
  );
  return helmPath;
}

/** Runs helm; resolves with the exit code, never rejects. HELM_* state goes to a fresh folder, not the user's. */
export async function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const state = mkdtempSync(join(tmpdir(), 'sluice-helm-'));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(state, 'cache'),
    HELM_CONFIG_HOME: join(state, 'config'),
    HELM_DATA_HOME: join(state, 'data'),
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(helmBin(), args, {
      encoding: 'utf8',
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** A values file holding `values`, for helm's -f. */
export function valuesFile(values: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-values-')), 'values.yaml');
  writeFileSync(file, stringify(values));
  return file;
}

/**
 * `helm template` of the chart as release "sluice" with these values (and the CRDs of its crds/ folder, as
 * `helm install` applies them, unless skipCrds); `namespace` is helm's -n, the release's namespace.
 */
export async function helmTemplate(
  values: Record<string, unknown> = {},
  opts: { namespace?: string; skipCrds?: boolean } = {},
): Promise<KubeObject[]> {
  const r = await helm([
    'template',
    'sluice',
    chartDir,
    '-f',
    valuesFile(values),
    ...(opts.namespace === undefined ? [] : ['--namespace', opts.namespace]),
    ...(opts.skipCrds === true ? [] : ['--include-crds']),
  ]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseObjects(r.stdout);
}

export const objectKey = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The objects by kind/namespace/name, sorted: two renders compare equal whatever their documents' order. */
export function byKey(objects: KubeObject[]): Record<string, KubeObject> {
  const keyed = objects.map((o) => [objectKey(o), o] as const).sort(([a], [b]) => a.localeCompare(b));
  if (new Set(keyed.map(([k]) => k)).size !== keyed.length) throw new Error('two objects with the same key');
  return Object.fromEntries(keyed);
}

/**
 * The chart's objects as manifests/ has them: without the one annotation only helm reads, resource-policy keep on
 * the Namespace the chart creates (helm uninstall would delete it with what the user put in it, such as the
 * sluice-unleash Secret; kubectl apply -k has no uninstall to guard against).
 */
export function withoutHelmKeep(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) => {
    const annotations = (o.metadata as { annotations?: Record<string, string> }).annotations;
    if (o.kind !== 'Namespace' || annotations?.['helm.sh/resource-policy'] !== 'keep') return o;
    const { 'helm.sh/resource-policy': _keep, ...rest } = annotations;
    const metadata: Record<string, unknown> = { ...o.metadata };
    if (Object.keys(rest).length === 0) delete metadata['annotations'];
    else metadata['annotations'] = rest;
    return { ...o, metadata } as KubeObject;
  });
}
