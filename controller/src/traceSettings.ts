/**
 * The settings of tracing, under the OpenTelemetry SDKs' own environment variables so that a cluster's usual OTLP
 * configuration applies unchanged. Tracing is off unless an endpoint is set.
 */
import { invalid, parseWholeNumber, Refused, setting } from './settingParsers.ts';

/** An http(s) URL without credentials: the endpoint is logged (origin and path), and userinfo would be a secret. */
function parseEndpoint(text: string): string | undefined | typeof invalid {
  if (text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '')
    return invalid;
  return text;
}

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const maxHeaders = 32;
const maxHeadersLength = 8192;
/** Headers that describe the request's own framing: one given here would make every export fail or be misread. */
const clientOwnedHeaders = new Set([
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'expect',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);

/**
 * "key1=value1,key2=value2" with URL-encoded values (the W3C baggage form the OpenTelemetry specification uses).
 * A refusal never repeats the text: it may hold an API key.
 */
export function parseOtlpHeaders(text: string): Readonly<Record<string, string>> | Refused {
  if (text.length > maxHeadersLength) return new Refused(`is longer than ${maxHeadersLength} characters`);
  const headers: Record<string, string> = {};
  const entries = text.split(',').filter((entry) => entry.trim() !== '');
  if (entries.length > maxHeaders) return new Refused(`has more than ${maxHeaders} headers`);
  for (const [index, entry] of entries.entries()) {
    const equals = entry.indexOf('=');
    const name = entry.slice(0, Math.max(0, equals)).trim();
    if (equals < 1 || !headerName.test(name))
      return new Refused(`entry ${index + 1} is not name=value with a valid header name (values are not shown)`);
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      return new Refused(`the value of ${name} is not URL-encoded text (values are not shown)`);
    }
    // A line break would end the header and start another one of the value's choosing.
    if (/[\r\n\0]/.test(value)) return new Refused(`the value of ${name} holds a line break (values are not shown)`);
    // What fetch refuses to send (a control character, or one past U+00FF) would fail every export, after a start
    // that said "tracing on".
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value))
      return new Refused(
        `the value of ${name} holds a control character or one past U+00FF, which no HTTP header can carry (values are not shown)`,
      );
    if (clientOwnedHeaders.has(name.toLowerCase()))
      return new Refused(`${name} is set by the HTTP client for each export and cannot be given`);
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

export type OtlpProtocol = 'http/json' | 'http/protobuf';

/** The OTLP protocol setting: what Sluice can send to (both HTTP ones take its JSON), and gRPC refused by name. */
function parseOtlpProtocol(text: string): OtlpProtocol | Refused | typeof invalid {
  if (text === 'http/json' || text === 'http/protobuf') return text;
  if (text === 'grpc')
    return new Refused(
      "grpc is not spoken: Sluice sends OTLP/HTTP JSON; point the endpoint at the collector's HTTP port (4318) and say http/json",
    );
  return invalid;
}

export const samplers = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof samplers)[number];

/** The share of new traces recorded. Every span of Sluice under a parent follows it, so parentbased_* means the same. */
export function sampleRatio(sampler: SamplerName, arg: number): number {
  if (sampler.endsWith('always_on')) return 1;
  if (sampler.endsWith('always_off')) return 0;
  return arg;
}

export const traceSettings = {
  otlpEndpoint: setting<string | undefined>({
    flag: '--otlp-endpoint',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    valueName: 'url',
    accepts: 'an http(s) URL without credentials',
    description:
      'OTLP/HTTP collector that traces are sent to, at <url>/v1/traces in the JSON encoding: a span per reconcile, ' +
      'per Kubernetes write, per measurement and per Unleash call (docs/observability.md). Unset: no tracing at all.',
    defaultText: '(none: tracing off)',
    default: () => undefined,
    parse: parseEndpoint,
  }),
  otlpTracesEndpoint: setting<string | undefined>({
    flag: '--otlp-traces-endpoint',
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    valueName: 'url',
    accepts: 'an http(s) URL without credentials',
    description: 'The full URL traces are POSTed to, used as it is; wins over --otlp-endpoint.',
    defaultText: '(none)',
    default: () => undefined,
    parse: parseEndpoint,
  }),
  otlpProtocol: setting<OtlpProtocol>({
    flag: '--otlp-protocol',
    env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    valueName: 'protocol',
    accepts: 'http/json or http/protobuf',
    description:
      "The OTLP transport the cluster's settings name. Sluice sends OTLP/HTTP JSON, which an HTTP receiver takes " +
      'where it takes protobuf; grpc is refused rather than sent JSON to a gRPC port that can never accept it.',
    defaultText: 'http/json',
    default: () => 'http/json',
    parse: parseOtlpProtocol,
  }),
  otlpTracesProtocol: setting<OtlpProtocol | undefined>({
    flag: '--otlp-traces-protocol',
    env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    valueName: 'protocol',
    accepts: 'http/json or http/protobuf',
    description: 'As --otlp-protocol, for traces only.',
    defaultText: '(none)',
    default: () => undefined,
    parse: parseOtlpProtocol,
  }),
  otlpHeaders: setting<Readonly<Record<string, string>>>({
    flag: '--otlp-headers',
    env: 'OTEL_EXPORTER_OTLP_HEADERS',
    valueName: 'headers',
    accepts: 'name=value pairs separated by commas, values URL-encoded',
    description:
      'Headers sent with every export, such as a vendor API key; in a cluster, from a Secret. Never logged. ' +
      'Environment only: a flag would show them in the process list.',
    defaultText: '(none)',
    default: () => ({}),
    parse: parseOtlpHeaders,
    secret: { instead: 'OTEL_EXPORTER_OTLP_HEADERS (from a Secret)' },
  }),
  tracesSampler: setting<SamplerName>({
    flag: '--traces-sampler',
    env: 'OTEL_TRACES_SAMPLER',
    valueName: 'sampler',
    accepts: samplers.join(', '),
    description: 'Which reconciles and background tasks start a recorded trace; their child spans follow them.',
    defaultText: 'parentbased_always_on',
    default: () => 'parentbased_always_on',
    parse: (text) => ((samplers as readonly string[]).includes(text) ? (text as SamplerName) : invalid),
  }),
  tracesSamplerArg: setting<number>({
    flag: '--traces-sampler-arg',
    env: 'OTEL_TRACES_SAMPLER_ARG',
    valueName: 'ratio',
    accepts: 'a number from 0 to 1',
    description: 'The share of traces recorded by the traceidratio samplers.',
    defaultText: '1',
    default: () => 1,
    parse: (text) => {
      const ratio = Number(text);
      return text.trim() !== '' && ratio >= 0 && ratio <= 1 ? ratio : invalid;
    },
  }),
  tracesQueueSize: setting({
    flag: '--traces-queue-size',
    env: 'OTEL_BSP_MAX_QUEUE_SIZE',
    valueName: 'spans',
    accepts: 'a whole number of spans from 1 to 65536',
    description:
      'Spans held for export at most; past it new spans are dropped and counted (sluice_trace_spans_total{result="dropped"}), ' +
      'so a collector that is away never grows memory. Each span holds at most 24 attributes of at most 512 characters.',
    defaultText: '2048',
    default: () => 2048,
    parse: parseWholeNumber(1, 65_536),
  }),
  tracesExportDelay: setting({
    flag: '--traces-export-delay',
    env: 'OTEL_BSP_SCHEDULE_DELAY',
    valueName: 'ms',
    accepts: 'a whole number of milliseconds from 100 to 60000',
    description: 'How often spans are sent when fewer than a batch (512) are waiting.',
    defaultText: '5000',
    default: () => 5_000,
    parse: parseWholeNumber(100, 60_000),
  }),
};
