/**
 * What every row of invalidObjects.ts is: an object the API server must refuse, with the field its error must
 * name, and the words the API server's own errors use.
 */

export type Spec = Record<string, unknown>;

export interface InvalidCase {
  title: string;
  kind: 'Rollout' | 'AnalysisTemplate' | 'ClusterAnalysisTemplate' | 'NotificationChannel';
  spec: Spec;
  /** Overrides the generated object name, for rules about the name. */
  name?: string;
  /** The field path the error message must contain. */
  field: string;
  /** What else the message must say (the rule's own words, or the API server's). */
  says: RegExp;
}

export const mustBe = (type: string) => new RegExp(`must be of type ${type}`);
export const atMost = (n: number) => new RegExp(`less than or equal to ${n}`);
export const atLeast = (n: number) => new RegExp(`greater than or equal to ${n}`);
export const unsupported = /Unsupported value/;
export const required = /Required value/;
export const pattern = /should match/;
export const unknownField = /unknown field/;
