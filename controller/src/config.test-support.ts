/** What the config tests share: files to read settings from, a fixed host, and loading that expects success or failure. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type ConfigHost, type ControllerConfig } from './config.ts';

export const files = mkdtempSync(join(tmpdir(), 'sluice-config-'));
export const tokenFile = join(files, 'admin-token');
writeFileSync(tokenFile, '*:*.from-a-file\n');
export const tenancyFile = join(files, 'tenancy.yaml');
writeFileSync(tenancyFile, 'namespaces:\n  shop: {projects: [shop], environments: [production]}\n');

export const host: ConfigHost = {
  podNamespace: () => undefined,
  hostname: () => 'sluice-7d9f',
  randomSuffix: () => 'a1b2c3',
};

export function load(
  argv: string[] = [],
  env: Record<string, string> = {},
  onHost: ConfigHost = host,
): ControllerConfig {
  const outcome = loadConfig(argv, env, onHost);
  if (outcome.kind !== 'run') throw new Error(`expected a config, got ${outcome.kind}`);
  return outcome.config;
}

export function problemsOf(argv: string[], env: Record<string, string> = {}): readonly string[] {
  try {
    loadConfig(argv, env, host);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
