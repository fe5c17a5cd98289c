import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { Refused } from './settingParsers.ts';
import { parseOtlpHeaders, sampleRatio } from './traceSettings.ts';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig([], env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
};

describe('trace settings', () => {
  it('refuses an endpoint with credentials or another scheme', () => {
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:pw@collector:4318' })).toHaveLength(1);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' })).toHaveLength(1);
  });

  it('refuses malformed headers without repeating them, since they may hold a key', () => {
    for (const text of ['api-key', 'bad name=k-55aa', 'api-key=%E0%A4%A', 'api-key=k-55aa%0D%0AX-Evil: 1']) {
      const problems = problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: text });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^--otlp-headers \/ OTEL_EXPORTER_OTLP_HEADERS: /);
      expect(problems[0]).not.toContain('k-55aa');
    }
    expect(parseOtlpHeaders('a=1,'.repeat(33))).toBeInstanceOf(Refused);
    expect(parseOtlpHeaders('')).toEqual({});
  });

  // review: headers that fetch will never send were accepted. A value with a control character or a character
  // past U+00FF (a key pasted with a stray tab, a "€" in a password), or a header the HTTP client owns
  // (content-length, transfer-encoding, expect), passed the check and then made every export fail: the controller
  // logs "tracing on" and no span ever reaches the collector. Bad input must be refused at start, naming the field.
  it('refuses header values and names that no export could send', () => {
    for (const text of [
      'api-key=k-55aa%E2%82%AC',
      'api-key=k-55aa%01',
      'api-key=k-55aa%7F',
      'content-length=5',
      'transfer-encoding=chunked',
      'expect=100-continue',
    ]) {
      const problems = problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: text });
      expect(problems, text).toHaveLength(1);
      expect(problems[0]).toMatch(/^--otlp-headers \/ OTEL_EXPORTER_OTLP_HEADERS: /);
      expect(problems[0]).not.toContain('k-55aa');
    }
    // Latin-1 text and inner spaces are sendable and stay accepted.
    expect(parseOtlpHeaders('authorization=Basic%20abc%C3%A9')).toEqual({ authorization: 'Basic abcé' });
  });

  // review: OTEL_EXPORTER_OTLP_PROTOCOL was ignored. A cluster whose usual OTLP settings say grpc (endpoint :4317,
  // as the OpenTelemetry Operator injects for gRPC SDKs) started Sluice with "tracing on" and every export then failed
  // against the gRPC port: traces silently gone. The settings must refuse a protocol Sluice does not speak, naming it.
  it('refuses an OTLP protocol other than HTTP', () => {
    for (const env of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
      const problems = problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', [env]: 'grpc' });
      expect(problems, env).toHaveLength(1);
      expect(problems[0]).toContain(env);
      // The collector's HTTP receiver takes JSON where it takes protobuf: both are fine.
      expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', [env]: 'http/protobuf' })).toEqual([]);
      expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', [env]: 'http/json' })).toEqual([]);
    }
  });

  it('refuses the headers as a flag: it would show them in the process list', () => {
    expect(() => loadConfig(['--otlp-headers=api-key=k'], {})).toThrow(ConfigError);
  });

  it('turns the sampler into the share of traces recorded', () => {
    expect(sampleRatio('parentbased_always_on', 0.1)).toBe(1);
    expect(sampleRatio('always_off', 1)).toBe(0);
    expect(sampleRatio('traceidratio', 0.1)).toBe(0.1);
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toHaveLength(1);
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toHaveLength(1);
  });
});
