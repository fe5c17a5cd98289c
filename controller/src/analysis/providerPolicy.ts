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
 * The check is on the host name as written; it does not resolve names, so an allowed name is trusted to point
 * where its owner says.
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
  if (check.allowedHosts.some((p) => hostMatches(p, url.hostname, port))) return undefined;
  const hostPort = `${url.hostname}:${port}`;
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
