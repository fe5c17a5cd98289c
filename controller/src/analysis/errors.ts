/**
 * The one error type of the analysis engine: a template that cannot be carried out as written (an argument
 * without a value, a placeholder outside a string literal, a Secret that is missing). It becomes an Error
 * measurement whose message names the field and says what to do; it never escapes the engine.
 */

export type AnalysisErrorCode =
  | 'MissingArg'
  | 'SecretNotFound'
  | 'FieldNotFound'
  | 'UnsafePlaceholder'
  | 'UnknownPlaceholder'
  | 'InvalidQuery'
  | 'InvalidSpec';

export class AnalysisConfigError extends Error {
  readonly code: AnalysisErrorCode;
  /** Where the problem is, e.g. "AnalysisTemplate shop/error-rate spec.args[1].valueFrom.secretKeyRef". */
  readonly field: string;

  constructor(code: AnalysisErrorCode, field: string, message: string) {
    super(message);
    this.name = 'AnalysisConfigError';
    this.code = code;
    this.field = field;
  }
}

/** Says how a template is named in messages: "AnalysisTemplate shop/error-rate" or "ClusterAnalysisTemplate error-rate". */
export function templateLabel(ref: { templateName: string; clusterScope: boolean }, namespace: string): string {
  return ref.clusterScope
    ? `ClusterAnalysisTemplate ${ref.templateName}`
    : `AnalysisTemplate ${namespace}/${ref.templateName}`;
}

/** Cuts `text` to at most `max` characters, marking the cut, so that status fields stay within their schema bounds. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A backend's own words, fit for status: printable ASCII only, whitespace folded, at most `max` characters. */
export function statusWords(text: string, max: number): string {
  const clean = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return truncate(clean, max);
}
