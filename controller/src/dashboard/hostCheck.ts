/**
 * Which Host a request to the dashboard may name. The dashboard is usually reached through `kubectl port-forward`
 * on the user's machine; a page on another site can point a DNS name it controls at 127.0.0.1 (DNS rebinding) and
 * then talk to the forwarded port as if it were its own origin, so same-origin checks alone do not help. The browser
 * still sends that site's name as Host, so only names the dashboard is really reached by pass: localhost and the
 * loopback addresses (any port), the pod's own name and IP addresses (probes and in-cluster clients), and the names
 * an operator configures for a proxy or Ingress in front of it.
 */
import { networkInterfaces } from 'node:os';

export type HostVerdict = { ok: true } | { ok: false; reason: string };

const loopbackNames = ['localhost', '127.0.0.1', '::1'];

/** The host names (no port) the dashboard answers to: loopback, the pod's name and addresses, and `configured`. */
export function allowedDashboardHosts(
  podName: string,
  configured: readonly string[],
  interfaces = networkInterfaces(),
): Set<string> {
  const hosts = new Set(loopbackNames);
  if (podName !== '') hosts.add(podName.toLowerCase());
  for (const addresses of Object.values(interfaces)) {
    for (const address of addresses ?? []) hosts.add(address.address.toLowerCase());
  }
  for (const host of configured) {
    const name = hostNameOf(host.trim());
    if (name !== undefined && name !== '') hosts.add(name);
  }
  return hosts;
}

/** "Example.com:8080" -> "example.com", "[::1]:3100" -> "::1"; undefined when it is not a host. */
export function hostNameOf(host: string): string | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::[0-9]{1,5})?$/.exec(host);
  if (bracketed !== null) return bracketed[1]!.toLowerCase();
  const plain = /^([A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/.exec(host);
  if (plain === null) return undefined;
  return plain[1]!.toLowerCase().replace(/\.$/, '');
}

export function checkHost(host: string | undefined, allowed: ReadonlySet<string>): HostVerdict {
  if (host === undefined || host === '') return { ok: false, reason: 'the request has no Host header' };
  const name = hostNameOf(host);
  if (name !== undefined && allowed.has(name)) return { ok: true };
  return { ok: false, reason: `the dashboard is not served as ${JSON.stringify(host.slice(0, 100))}` };
}
