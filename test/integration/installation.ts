/**
 * Building blocks of the install test: render manifests/ with kubectl kustomize (retargeted to a test namespace
 * and name suffix the way a user's overlay would), apply YAML with kubectl, and a kubeconfig that holds nothing
 * but a ServiceAccount's token.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { clusterBinDir, repoRoot } from '../cluster/paths.ts';
import { adminKubeConfig, clusterInfo } from './support.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** kubectl against the local control plane with any kubeconfig; resolves with the exit code, never rejects. */
export async function kubectlAs(
  kubeconfig: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      join(clusterBinDir(), 'kubectl'),
      ['--kubeconfig', kubeconfig, ...args],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

async function kubectlOk(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await kubectlAs(clusterInfo().kubeconfig, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

export function parseObjects(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/**
 * `kubectl kustomize` of a folder under manifests/, optionally through an overlay of the kind a user writes:
 * another namespace, a name suffix (so that cluster-scoped objects of two installs do not collide), components.
 */
export async function render(
  dir: string,
  overlay?: { namespace: string; nameSuffix: string; components?: string[] },
): Promise<{ yaml: string; objects: KubeObject[] }> {
  let target = join(repoRoot, dir);
  if (overlay !== undefined) {
    // Kustomize refuses absolute paths to other kustomizations: the overlay names them relative to itself.
    const overlayDir = mkdtempSync(join(tmpdir(), 'sluice-overlay-'));
    copyFileSync(join(repoRoot, 'manifests/instance-label.yaml'), join(overlayDir, 'instance-label.yaml'));
    writeFileSync(
      join(overlayDir, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: overlay.namespace,
        nameSuffix: overlay.nameSuffix,
        resources: [relative(overlayDir, target)],
        // As docs/getting-started.md has users do with a suffix: their own instance label, so that two installs
        // select only their own pods.
        ...(overlay.nameSuffix === '' ? {} : { replacements: [{ path: 'instance-label.yaml' }] }),
        ...(overlay.components === undefined
          ? {}
          : { components: overlay.components.map((c) => relative(overlayDir, join(repoRoot, c))) }),
      }),
    );
    target = overlayDir;
  }
  const { stdout } = await kubectlOk(['kustomize', target]);
  return { yaml: stdout, objects: parseObjects(stdout) };
}

/** Server-side apply of a YAML stream; with dryRun the API server validates (strict) and admits but stores nothing. */
export async function applyYaml(
  yaml: string,
  opts: { dryRun?: boolean; namespace?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-apply-')), 'objects.yaml');
  writeFileSync(file, yaml);
  return kubectlOk([
    'apply',
    '--server-side',
    '--field-manager=sluice-install-test',
    '--force-conflicts',
    ...(opts.dryRun === true ? ['--dry-run=server'] : []),
    ...(opts.namespace === undefined ? [] : ['-n', opts.namespace]),
    '-f',
    file,
  ]);
}

/** A kubeconfig for the local API server whose only credential is a fresh token of the ServiceAccount. */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const admin = adminKubeConfig();
  const request = await admin
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({ namespace, name, body: { spec: { expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (token === undefined) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  const cluster = admin.getCurrentCluster()!;
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-sa-')), 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'local',
          cluster: {
            server: cluster.server,
            'certificate-authority-data': cluster.caData ?? readFileSync(cluster.caFile!).toString('base64'),
          },
        },
      ],
      users: [{ name, user: { token } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: name, namespace } }],
      'current-context': 'local',
    }),
    { mode: 0o600 },
  );
  return file;
}

export interface Access {
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
  namespace?: string;
  name?: string;
}

/** Asks the API server, as the kubeconfig's user, whether it may do this (a SelfSubjectAccessReview). */
export async function allowed(kubeconfig: string, access: Access): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const review = await kc
    .makeApiClient(AuthorizationV1Api)
    .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: access } } });
  return review.status?.allowed === true;
}
