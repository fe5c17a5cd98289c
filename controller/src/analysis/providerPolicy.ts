/**
 * Which addresses an analysis may query. A template's author picks provider.prometheus.address (or
 * provider.influxdb.address), and the controller sends the query there from inside the cluster, with the headers
 * and credentials the template names (read from the Rollout namespace's Secrets). Unchecked, any namespace could
 * point the controller at any service it can reach (a cloud metadata endpoint, another tenant's API) and have that
 * namespace's Secrets sent along.
 *
 * The rule: a ClusterAnalysisTemplate (written by a cluster admin) is trusted and may query any http(s) host; a
 * namespaced AnalysisTemplate may query only the hosts of --analysis-allowed-hosts. With no list, namespaced
 * templates may query nothing: an admin opts in, host by host, and `*` restores "any host" on purpose.
 * Whoever writes it, an address never carries credentials (they would sit in plain text in the template and in
 * every message that quotes the address) and is never anything but http or https.
 *
 * A wildcard (`*`, `*.domain`) means "the services of the cluster", never the controller pod itself or its node:
 * the request leaves from the controller, so NetworkPolicy that keeps a tenant off those addresses does not apply.
 * Under a wildcard a namespaced template may not reach a loopback, link-local or unspecified IP (in any spelling
 * the URL parser reads: 2852039166, 0xa9fea9fe, ::ffff:169.254.169.254, 0) nor a cloud metadata endpoint
 * (fd00:ec2::254, metadata.google.internal, localhost); an entry naming that host exactly still allows it.
 *
 * The check is on the host name as written; it does not resolve names, so an allowed name is trusted to point
 * where its owner says (a public name resolving to 127.0.0.1 passes a wildcard: allow names, not `*`, to rule
 * that out).
 */

/** One entry of the allowlist: a host (or `*.domain`), and a port when the entry names one. */
export interface HostPattern {
  /** Lower-case host name or IP (IPv6 in brackets, as URLs write it), or `*.domain`, or `*` for any host. */
  host: string;
  /** The only port allowed, or undefined for any port. */
  port: number | undefined;
}

/** The setting that holds the allowlist, for messages. */
export const allowedHostsSetting = '--analysis-allowed-hosts / SLUICE_ANALYSIS_ALLOWED_HOSTS';

const hostLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Reads "prometheus.monitoring:9090, *.svc.cluster.local, 10.0.0.7, [fd00::1]:9090" (commas or spaces between
 * entries). Returns the problem as a sentence for an entry it cannot read.
 */
export function parseHostPatterns(text: string): HostPattern[] | { problem: string } {
  const patterns: HostPattern[] = [];
  for (const entry of text.split(/[\s,]+/).filter((e) => e !== '')) {
    const parsed = parseHostPattern(entry.toLowerCase());
    if (parsed === undefined)
      return { problem: `${JSON.stringify(entry)} is not a host, host:port, *.domain or *.domain:port` };
    patterns.push(parsed);
  }
  return patterns;
}

function parseHostPattern(entry: string): HostPattern | undefined {
  if (entry === '*') return { host: '*', port: undefined };
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::([0-9]{1,5}))?$/.exec(entry);
  if (m === null) return undefined;
  const host = m[1]!;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65_535)) return undefined;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (host.startsWith('[')) {
    // Let the URL parser say whether it is an IPv6 address, and keep its canonical form, which URLs compare with.
    try {
      return { host: new URL(`http://${host}/`).hostname, port };
    } catch {
      return undefined;
    }
  }
  if (name.length > 253 || !name.split('.').every((label) => hostLabel.test(label))) return undefined;
  return { host, port };
}

/** Writes patterns back as the setting accepts them, for messages and --help. */
export function formatHostPatterns(patterns: readonly HostPattern[]): string {
  return patterns.map((p) => (p.port === undefined ? p.host : `${p.host}:${p.port}`)).join(',');
}

export interface AddressCheck {
  /** The template is a ClusterAnalysisTemplate: written by a cluster admin, it may query any http(s) host. */
  trusted: boolean;
  allowedHosts: readonly HostPattern[];
}

/** How messages name the address's field, and where credentials belong instead. */
export interface AddressField {
  field: string;
  credentials: string;
}

const prometheusAddress: AddressField = {
  field: 'provider.prometheus.address',
  credentials: 'provider.prometheus.authentication with a secretKeyRef',
};

/** Why the analysis may not query `address`, naming the field and the setting; undefined when it may. */
export function addressProblem(
  address: string,
  check: AddressCheck,
  { field, credentials }: AddressField = prometheusAddress,
): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `${field} is not a URL: write it like http://prometheus.monitoring:9090 (scheme, host and port)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${field} uses ${url.protocol.slice(0, -1)}: only http and https are allowed`;
  }
  if (url.username !== '' || url.password !== '') {
    // The URL without its credentials: the message must not repeat them.
    return `${field} carries credentials (user:password@): remove them and use ${credentials}`;
  }
  if (check.trusted) return undefined;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const hostPort = `${url.hostname}:${port}`;
  const matching = check.allowedHosts.filter((p) => hostMatches(p, url.hostname, port));
  if (matching.some((p) => !p.host.includes('*'))) return undefined;
  if (matching.length > 0) {
    const reserved = reservedHost(url.hostname);
    if (reserved === undefined) return undefined;
    return (
      `${field}: host ${hostPort} is ${reserved}, which a wildcard in ${allowedHostsSetting} does not cover: ` +
      'ask a cluster admin to list the host itself, or use a ClusterAnalysisTemplate'
    );
  }
  const list =
    check.allowedHosts.length === 0 ? 'which is empty' : `which is ${formatHostPatterns(check.allowedHosts)}`;
  return (
    `${field}: host ${hostPort} is not in ${allowedHostsSetting} (${list}), and only ClusterAnalysisTemplates may query other hosts: ` +
    'ask a cluster admin to allow the host, or use a ClusterAnalysisTemplate'
  );
}

function hostMatches(pattern: HostPattern, hostname: string, port: number): boolean {
  if (pattern.port !== undefined && pattern.port !== port) return false;
  if (pattern.host === '*') return true;
  if (pattern.host.startsWith('*.'))
    return hostname.endsWith(pattern.host.slice(1)) && hostname.length > pattern.host.length - 1;
  return hostname === pattern.host;
}

/** Names of cloud metadata services (GCP, AWS): they hand out the node's credentials. */
const metadataNames = new Set(['metadata', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal']);

/**
 * What makes `hostname` (as URL.hostname gives it: IPv4 dotted, IPv6 in brackets and compressed) the controller's
 * own or its node's rather than a service's, or undefined for an ordinary host.
 */
export function reservedHost(hostname: string): string | undefined {
  const host = hostname.replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback (localhost)';
  if (metadataNames.has(host)) return 'a cloud metadata endpoint';
  if (host.startsWith('[')) return reservedIpv6(host.slice(1, -1));
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  return v4 === null ? undefined : reservedIpv4(v4.slice(1).map(Number));
}

function reservedIpv4([a, b, c, d]: number[]): string | undefined {
  if (a === 127) return 'loopback (127.0.0.0/8)';
  if (a === 0) return 'unspecified (0.0.0.0/8, which reaches the local host)';
  if (a === 169 && b === 254) return 'link-local (169.254.0.0/16, where cloud metadata endpoints live)';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'a cloud metadata endpoint';
  return undefined;
}

/** The eight 16-bit groups of a compressed IPv6 address as URL writes it (hex only, at most one ::). */
function ipv6Groups(address: string): number[] | undefined {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const read = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = read(head);
  const back = tail === undefined ? [] : read(tail);
  const groups = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function reservedIpv6(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (g === undefined) return undefined;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return 'unspecified (::)';
  if (zeros(7) && g[7] === 1) return 'loopback (::1)';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if (address === 'fd00:ec2::254') return 'a cloud metadata endpoint';
  // An IPv4 address carried in IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d).
  const mapped = zeros(5) && (g[5] === 0xffff || g[5] === 0);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !nat64) return undefined;
  return reservedIpv4([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff]);
}
