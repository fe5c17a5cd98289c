/**
 * For the Flagger converter's tests: reads a corpus file, converts every object the way `kubectl sluice convert`
 * would (all objects of the run visible), and checks the Sluice objects as the API server and the controller would:
 * the TypeBox schema the CRDs are generated from, validateRollout against the templates produced, and every query
 * rendered with the arguments the Rollout passes, as the analysis engine renders it.
 */
import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';
import { renderPromql } from '../analysis/promqlTemplate.ts';
import { analysisTemplateSpec } from '../api/analysis.schema.ts';
import { rolloutSpec } from '../api/rollout.schema.ts';
import type { AnalysisTemplateSpec, Rollout, RolloutSpec } from '../api/types.ts';
import { analysesOf } from '../api/steps.ts';
import { validateRollout } from '../api/validate.ts';
import type { Conversion, KubeManifest } from './conversion.ts';
import { flaggerConverter } from './flagger.ts';

export function readCorpus(file: string): KubeManifest[] {
  const text = readFileSync(new URL(`testdata/flagger/${file}`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as KubeManifest);
}

/** Each input object with its conversion (undefined when the converter does not handle it). */
export function convertCorpus(file: string): { input: KubeManifest; out: Conversion | undefined }[] {
  const inputs = readCorpus(file);
  const convert = flaggerConverter(inputs);
  return inputs.map((input) => ({ input, out: convert(input) }));
}

/** Every problem the API server's schema or the controller's validation would find in the objects. */
export function sluiceProblems(objects: KubeManifest[]): string[] {
  const problems: string[] = [];
  const templates = new Map<string, AnalysisTemplateSpec>();
  for (const o of objects.filter((x) => x.kind === 'AnalysisTemplate')) {
    for (const e of Value.Errors(analysisTemplateSpec, o.spec))
      problems.push(`${o.metadata.name}${e.instancePath}: ${e.message}`);
    templates.set(`${o.metadata.namespace}/${o.metadata.name}`, o.spec as AnalysisTemplateSpec);
  }
  for (const o of objects.filter((x) => x.kind === 'Rollout')) {
    for (const e of Value.Errors(rolloutSpec, o.spec))
      problems.push(`${o.metadata.name}${e.instancePath}: ${e.message}`);
    const rollout = o as unknown as Rollout;
    const lookup = {
      analysisTemplate: (ns: string, name: string) => templates.get(`${ns}/${name}`),
      clusterAnalysisTemplate: () => undefined,
    };
    for (const e of validateRollout(rollout, lookup)) problems.push(`${e.field}: ${e.message}`);
    // Every analysis of either strategy: a canary's background one, a blue-green's before and after the switch.
    for (const analysis of analysesOf(rollout.spec))
      for (const ref of analysis.templates) {
        const spec = templates.get(`${o.metadata.namespace}/${ref.templateName}`);
        const args = new Map<string, string>(analysis.args.map((a) => [a.name, a.value]));
        for (const a of spec?.args ?? []) if (a.valueFrom !== undefined) args.set(a.name, 'from-the-rollout');
        for (const m of spec?.metrics ?? []) {
          try {
            renderPromql(m.provider.prometheus!.query, { args }, m.name);
          } catch (err) {
            problems.push(`${m.name}: ${(err as Error).message}`);
          }
        }
      }
  }
  return problems;
}

export function only(file: string, kind: string, name: string): Conversion {
  const found = convertCorpus(file).find((c) => c.input.kind === kind && c.input.metadata.name === name);
  if (found?.out === undefined) throw new Error(`${file}: no conversion of ${kind}/${name}`);
  return found.out;
}
export const ofKind = (c: Conversion, kind: string) => c.objects.filter((o) => o.kind === kind);
export const rs = (c: Conversion) => ofKind(c, 'Rollout')[0]!.spec as RolloutSpec;
export const canaryOf = (c: Conversion) => rs(c).strategy.canary!;
export const blueGreenOf = (c: Conversion) => rs(c).strategy.blueGreen!;
export const ts = (c: Conversion) => ofKind(c, 'AnalysisTemplate')[0]!.spec as AnalysisTemplateSpec;
export const specOf = (o: KubeManifest | undefined) => o?.spec as Record<string, unknown>;
export const paths = (c: Conversion) => c.dropped.map((d) => d.path);
export const pauses = (d: string) => ({ pause: { duration: d } });
