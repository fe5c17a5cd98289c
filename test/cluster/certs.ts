/**
 * Certificates for the local control plane, made with the machine's openssl: one CA, the API server's serving
 * certificate, a client certificate per component (so RBAC sees real identities), the service-account key pair, and
 * the front proxy's own CA and client certificate, with which kube-apiserver vouches for the user when it proxies a
 * request to an aggregated API (the custom metrics adapter of the autoscaling stories).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClientCert {
  cert: string;
  key: string;
}

export interface ClusterCerts {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
  clients: Record<'admin' | 'controllerManager' | 'scheduler' | 'kwok', ClientCert>;
  /** A CA of its own, as Kubernetes advises: a client certificate of the cluster CA must not pass for the proxy. */
  frontProxyCa: ClientCert;
  frontProxyClient: ClientCert;
}

/** The name aggregated API servers accept on the front proxy's client certificate (--requestheader-allowed-names). */
export const frontProxyClientName = 'front-proxy-client';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSignedCa(dir: string, ca: ClientCert, subject: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      '3650',
      '-subj',
      subject,
    ],
    dir,
  );
}

function signed(
  dir: string,
  name: string,
  subject: string,
  ext: string,
  cert: ClusterCerts['caCert'],
  key: string,
): ClientCert {
  const out = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      out.key,
      '-subj',
      subject,
      '-out',
      join(dir, `${name}.csr`),
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      join(dir, `${name}.csr`),
      '-CA',
      cert,
      '-CAkey',
      key,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      out.cert,
    ],
    dir,
  );
  return out;
}

/** Creates the certificates in `dir` unless they are already there (certificates outlive a restart). */
export function ensureCerts(dir: string): ClusterCerts {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  const certs: ClusterCerts = {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    clients: {
      admin: { cert: p('admin.crt'), key: p('admin.key') },
      controllerManager: { cert: p('kube-controller-manager.crt'), key: p('kube-controller-manager.key') },
      scheduler: { cert: p('kube-scheduler.crt'), key: p('kube-scheduler.key') },
      kwok: { cert: p('kwok.crt'), key: p('kwok.key') },
    },
    frontProxyCa: { cert: p('front-proxy-ca.crt'), key: p('front-proxy-ca.key') },
    frontProxyClient: { cert: p('front-proxy-client.crt'), key: p('front-proxy-client.key') },
  };
  // The last file made: a folder from a run stopped half-way, or from before the front proxy, is made afresh.
  if (existsSync(certs.frontProxyClient.cert)) return certs;

  selfSignedCa(dir, { cert: certs.caCert, key: certs.caKey }, '/CN=sluice-local-ca');
  const server = [
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,',
    'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n',
    'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  ].join('');
  signed(dir, 'apiserver', '/CN=kube-apiserver', server, certs.caCert, certs.caKey);
  const client = 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n';
  signed(dir, 'admin', '/O=system:masters/CN=sluice-admin', client, certs.caCert, certs.caKey);
  signed(dir, 'kube-controller-manager', '/CN=system:kube-controller-manager', client, certs.caCert, certs.caKey);
  signed(dir, 'kube-scheduler', '/CN=system:kube-scheduler', client, certs.caCert, certs.caKey);
  // kwok plays every kubelet, which updates any node and pod status: give it the cluster-admin group.
  signed(dir, 'kwok', '/O=system:masters/CN=kwok', client, certs.caCert, certs.caKey);
  openssl(['genrsa', '-out', certs.saKey, '2048'], dir);
  openssl(['rsa', '-in', certs.saKey, '-pubout', '-out', certs.saPub], dir);
  selfSignedCa(dir, certs.frontProxyCa, '/CN=sluice-front-proxy-ca');
  const { cert, key } = certs.frontProxyCa;
  signed(dir, 'front-proxy-client', `/CN=${frontProxyClientName}`, client, cert, key);
  return certs;
}
