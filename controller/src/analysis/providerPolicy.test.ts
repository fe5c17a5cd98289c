import { describe, expect, it } from 'vitest';
import { addressProblem, formatHostPatterns, parseHostPatterns, type HostPattern } from './providerPolicy.ts';

const patterns = (text: string) => parseHostPatterns(text) as HostPattern[];

describe('parseHostPatterns', () => {
  it('reads hosts, ports, wildcard domains and IPv6, separated by commas or spaces', () => {
    expect(patterns('Prometheus.Monitoring:9090, *.svc.cluster.local 10.0.0.7,[FD00::1]:9090 *')).toEqual([
      { host: 'prometheus.monitoring', port: 9090 },
      { host: '*.svc.cluster.local', port: undefined },
      { host: '10.0.0.7', port: undefined },
      { host: '[fd00::1]', port: 9090 },
      { host: '*', port: undefined },
    ]);
    expect(formatHostPatterns(patterns('a:1,*.b'))).toBe('a:1,*.b');
    expect(patterns('')).toEqual([]);
  });

  it.each(['http://prom', 'prom:0', 'prom:99999', 'a..b', '*prom', 'prom/x', 'user@prom', '[zz]:1'])(
    'refuses %j',
    (text) => {
      expect(parseHostPatterns(text)).toEqual({
        problem: expect.stringContaining('is not a host, host:port, *.domain or *.domain:port') as string,
      });
    },
  );
});

describe('addressProblem', () => {
  const allowed = patterns('prometheus.monitoring:9090,*.metrics.example.com,thanos');
  const check = (address: string, trusted = false) => addressProblem(address, { trusted, allowedHosts: allowed });

  it('lets a namespaced template query the hosts of the list, on the listed port or any port', () => {
    expect(check('http://prometheus.monitoring:9090')).toBeUndefined();
    expect(check('https://eu.metrics.example.com/prom/')).toBeUndefined();
    expect(check('http://a.b.metrics.example.com:8080')).toBeUndefined();
    expect(check('http://thanos:10902')).toBeUndefined();
  });

  it('refuses other hosts, other ports and the bare domain of a wildcard, naming the field and the setting', () => {
    expect(check('http://169.254.169.254/latest/meta-data')).toBe(
      'provider.prometheus.address: host 169.254.169.254:80 is not in --analysis-allowed-hosts / SLUICE_ANALYSIS_ALLOWED_HOSTS ' +
        '(which is prometheus.monitoring:9090,*.metrics.example.com,thanos), and only ClusterAnalysisTemplates may query other hosts: ' +
        'ask a cluster admin to allow the host, or use a ClusterAnalysisTemplate',
    );
    expect(check('http://prometheus.monitoring:9091')).toMatch(/host prometheus\.monitoring:9091 is not in/);
    expect(check('https://metrics.example.com')).toMatch(/host metrics\.example\.com:443 is not in/);
    expect(check('http://evilmetrics.example.com')).toMatch(/is not in/);
    expect(check('http://prometheus.monitoring.:9090')).toMatch(/is not in/);
  });

  it('with no list, lets only trusted (cluster) templates query', () => {
    expect(addressProblem('http://prometheus.monitoring:9090', { trusted: false, allowedHosts: [] })).toMatch(
      /\(which is empty\)/,
    );
    expect(addressProblem('http://prometheus.monitoring:9090', { trusted: true, allowedHosts: [] })).toBeUndefined();
    expect(addressProblem('http://anything:1', { trusted: false, allowedHosts: patterns('*') })).toBeUndefined();
  });

  it('refuses credentials and other schemes even from a trusted template, without repeating the credentials', () => {
    const withCredentials = check('http://admin:hunter2@prometheus.monitoring:9090', true);
    expect(withCredentials).toBe(
      'provider.prometheus.address carries credentials (user:password@): remove them and use provider.prometheus.authentication with a secretKeyRef',
    );
    expect(check('file:///etc/passwd', true)).toBe(
      'provider.prometheus.address uses file: only http and https are allowed',
    );
    expect(check('not a url', true)).toMatch(/^provider\.prometheus\.address is not a URL/);
  });
});

describe('a wildcard never covers the controller itself or its node', () => {
  const check = (address: string, allowed: string) =>
    addressProblem(address, { trusted: false, allowedHosts: patterns(allowed) });

  it.each([
    ['http://127.1:9090/', '*'],
    ['http://localhost.:9090/', '*'],
    ['http://[fe80::1]/', '*'],
    ['http://[::169.254.169.254]/', '*'],
    ['http://[64:ff9b::a9fe:a9fe]/', '*'],
    ['http://metadata.google.internal/computeMetadata/v1/', '*.google.internal'],
    ['http://100.100.100.200/latest/meta-data/', '*'],
  ])('refuses %s under %s, naming why', (address, allowed) => {
    expect(check(address, allowed)).toMatch(/loopback|link-local|unspecified|metadata/);
  });

  it.each([
    ['http://10.0.0.7:9090/', '*'],
    ['http://[::ffff:10.0.0.7]/', '*'],
    ['http://[fd00::1]/', '*'],
    ['http://prometheus.monitoring:9090/', '*'],
    ['http://127.0.0.1:9090/', '127.0.0.1'],
    ['http://127.0.0.1:9090/', '*, 127.0.0.1:9090'],
    ['http://localhost:9090/', 'localhost'],
    ['http://[::1]:9090/', '[::1]'],
  ])('allows %s under %s (a service, or a host listed by name)', (address, allowed) => {
    expect(check(address, allowed)).toBeUndefined();
  });

  it('a ClusterAnalysisTemplate reaches them without an entry', () => {
    expect(addressProblem('http://127.0.0.1/', { trusted: true, allowedHosts: [] })).toBeUndefined();
  });
});
