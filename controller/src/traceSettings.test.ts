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
