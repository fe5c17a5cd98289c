/**
 * Reads the lines worth drawing on a metric's chart from its CEL conditions. Only the common shape is read: one
 * comparison of `result` (or `result[0]`) with a number, or several joined by `&&` ("result >= 0.9 && result <= 1.1").
 * Anything else (`||`, functions, two results compared) draws no line; the page still shows the condition's text.
 * This is for drawing only: the analysis engine judges with the real CEL evaluator.
 */
import type { ThresholdView } from './model.ts';

type Op = ThresholdView['op'];

const number = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const subject = String.raw`result(?:\s*\[\s*0\s*\])?`;
const op = '<=|>=|<|>';
const subjectFirst = new RegExp(String.raw`^\(?\s*${subject}\s*(${op})\s*(${number})\s*\)?$`);
const numberFirst = new RegExp(String.raw`^\(?\s*(${number})\s*(${op})\s*${subject}\s*\)?$`);

/** `0.05 > result` is `result < 0.05`. */
const mirrored: Record<Op, Op> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

export function thresholdsOf(condition: string | undefined, verdict: ThresholdView['verdict']): ThresholdView[] {
  if (condition === undefined) return [];
  const text = condition.trim();
  if (text === '' || text.includes('||')) return [];
  const found: ThresholdView[] = [];
  for (const part of text.split('&&')) {
    const comparison = readComparison(part.trim());
    if (comparison === undefined) return [];
    found.push({ verdict, ...comparison });
  }
  return found;
}

function readComparison(part: string): { op: Op; value: number } | undefined {
  const a = subjectFirst.exec(part);
  if (a !== null) return finite(a[1] as Op, Number(a[2]));
  const b = numberFirst.exec(part);
  if (b !== null) return finite(mirrored[b[2] as Op], Number(b[1]));
  return undefined;
}

function finite(op: Op, value: number): { op: Op; value: number } | undefined {
  return Number.isFinite(value) ? { op, value } : undefined;
}
