/**
 * The command lines of the control plane's components (see controlPlane.ts), each listening on loopback on the
 * ports it is given.
 */
import { join } from 'node:path';
import { frontProxyClientName, type ClusterCerts } from './certs.ts';

export function etcdArgs(dir: string, client: number, peer: number): string[] {
  return [
    '--name',
    'local',
    '--data-dir',
    join(dir, 'etcd'),
    '--listen-client-urls',
    `http://127.0.0.1:${client}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${client}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-cluster',
    `local=http://127.0.0.1:${peer}`,
    // A throwaway test store: fsync buys durability nobody needs here and costs seconds per test on slow disks.
    '--unsafe-no-fsync',
    '--quota-backend-bytes',
    String(4 * 1024 ** 3),
    '--log-level',
    'warn',
  ];
}

export function apiserverArgs(c: ClusterCerts, etcd: number, port: number): string[] {
  return [
    '--etcd-servers',
    `http://127.0.0.1:${etcd}`,
    '--bind-address',
    '127.0.0.1',
    '--advertise-address',
    '127.0.0.1',
    '--secure-port',
    String(port),
    '--tls-cert-file',
    c.servingCert,
    '--tls-private-key-file',
    c.servingKey,
    '--client-ca-file',
    c.caCert,
    '--service-account-key-file',
    c.saPub,
    '--service-account-signing-key-file',
    c.saKey,
    '--service-account-issuer',
    'https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range',
    '10.96.0.0/16',
    '--authorization-mode',
    'Node,RBAC',
    '--allow-privileged=true',
    // The apiserver will not publish a loopback address as the kubernetes Service's endpoint; nothing in-cluster needs it.
    '--endpoint-reconciler-type=none',
    // The aggregation layer: proxied requests carry the user in these headers, vouched for by the front proxy's client
    // certificate; kube-apiserver publishes the settings (configmap kube-system/extension-apiserver-authentication)
    // for aggregated API servers to check them. Routing stays on the Service (no --enable-aggregator-routing): the
    // stories' APIService names an ExternalName Service, reached at its externalName without kube-proxy.
    '--requestheader-client-ca-file',
    c.frontProxyCa.cert,
    '--requestheader-allowed-names',
    frontProxyClientName,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--proxy-client-cert-file',
    c.frontProxyClient.cert,
    '--proxy-client-key-file',
    c.frontProxyClient.key,
    '--profiling=false',
    // kwok's nodes are reached at 127.0.0.1 (their InternalIP) for pods/log; their Hostname resolves nowhere.
    '--kubelet-preferred-address-types=InternalIP',
    '--v',
    '1',
  ];
}

/** What kube-controller-manager and kube-scheduler share: their kubeconfig for everything, loopback, no election. */
function managedComponentArgs(kubeconfig: string, port: number): string[] {
  return [
    '--kubeconfig',
    kubeconfig,
    '--authentication-kubeconfig',
    kubeconfig,
    '--authorization-kubeconfig',
    kubeconfig,
    '--bind-address',
    '127.0.0.1',
    '--secure-port',
    String(port),
    '--leader-elect=false',
  ];
}

export function controllerManagerArgs(c: ClusterCerts, kubeconfig: string, port: number): string[] {
  return [
    ...managedComponentArgs(kubeconfig, port),
    '--service-account-private-key-file',
    c.saKey,
    '--root-ca-file',
    c.caCert,
    '--use-service-account-credentials',
    '--cluster-signing-cert-file',
    c.caCert,
    '--cluster-signing-key-file',
    c.caKey,
    '--concurrent-deployment-syncs',
    '10',
    '--concurrent-replicaset-syncs',
    '10',
    '--kube-api-qps',
    '200',
    '--kube-api-burst',
    '400',
    // The autoscaler acts within seconds of a metric's change, not the default 15 s (autoscaling stories).
    '--horizontal-pod-autoscaler-sync-period=2s',
    '--v',
    '1',
  ];
}

export function schedulerArgs(kubeconfig: string, port: number): string[] {
  return [...managedComponentArgs(kubeconfig, port), '--v', '1'];
}

export function kwokArgs(kubeconfig: string, configs: string[], port: number): string[] {
  return [
    '--kubeconfig',
    kubeconfig,
    ...configs.flatMap((c) => ['--config', c]),
    '--manage-nodes-with-annotation-selector',
    'kwok.x-k8s.io/node=fake',
    '--cidr',
    '10.244.0.1/16',
    '--node-ip',
    '127.0.0.1',
    '--node-lease-duration-seconds',
    '40',
    '--server-address',
    `127.0.0.1:${port}`,
    // Published as the nodes' kubelet port, so that the API server reaches kwok for pods/log (kwokJobs.ts).
    '--node-port',
    String(port),
  ];
}
