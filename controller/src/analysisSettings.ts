/** The settings of analysis: which Prometheus hosts templates may query, and how much of their answers is held. */
import { parseHostPatterns, type HostPattern } from './analysis/providerPolicy.ts';
import { invalid, Refused, setting } from './settingParsers.ts';

const byteUnits: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "64Mi", "1Gi", "16777216": a size in bytes, as Kubernetes writes memory, from `min` up. */
function parseBytesAtLeast(min: number) {
  return (text: string): number | typeof invalid => {
    const m = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(text);
    if (m === null) return invalid;
    const bytes = Number(m[1]) * byteUnits[m[2] ?? '']!;
    return Number.isSafeInteger(bytes) && bytes >= min ? bytes : invalid;
  };
}

export const analysisSettings = {
  analysisAllowedHosts: setting<HostPattern[]>({
    flag: '--analysis-allowed-hosts',
    env: 'SLUICE_ANALYSIS_ALLOWED_HOSTS',
    valueName: 'hosts',
    accepts: 'host, host:port, *.domain or *.domain:port entries separated by commas, or * for any host',
    description:
      'Hosts a namespaced AnalysisTemplate may query (provider.prometheus.address, provider.web.url, provider.influxdb.address); ClusterAnalysisTemplates, written by cluster admins, may query any. ' +
      'An entry without a port allows every port; a wildcard (* or *.domain) never covers loopback, link-local (169.254.0.0/16) or cloud metadata hosts, which need an entry naming them. No address may carry credentials or use a scheme other than http(s).',
    defaultText: '(none: only ClusterAnalysisTemplates may query Prometheus, InfluxDB or web endpoints)',
    default: () => [],
    parse: (text) => {
      const patterns = parseHostPatterns(text);
      return 'problem' in patterns ? new Refused(patterns.problem) : patterns;
    },
  }),
  analysisAnswerBudget: setting({
    flag: '--analysis-answer-budget',
    env: 'SLUICE_ANALYSIS_ANSWER_BUDGET',
    valueName: 'bytes',
    accepts: 'a size of at least 16Mi (like 64Mi or 1Gi)',
    description:
      'Bytes of Prometheus and InfluxDB answers the controller holds at once, over all analyses; one answer may be at most 8 MiB. ' +
      'A measurement whose answer finds no room before its timeout is an Error, measured again at the next interval.',
    defaultText: '64Mi',
    default: () => 64 * 1024 * 1024,
    parse: parseBytesAtLeast(16 * 1024 * 1024),
  }),
};
