/**
 * A TrafficSplit backend's weight as a number. SMI v1alpha1 types it as a Kubernetes resource.Quantity, which
 * travels as a string ("500m", "1", "1.5k") or a number; v1alpha2 and later as an integer. Weights are proportions,
 * so a Quantity's scale only matters relative to the other backend's.
 */

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// Anchored, without nested repetition: a hostile string cannot make it backtrack. The length is bounded too.
const quantityPattern = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;
const maxQuantityLength = 64;

/** The weight, or undefined when it is not a non-negative finite number or Quantity. */
export function parseWeight(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value.length > maxQuantityLength) return undefined;
  const match = quantityPattern.exec(value.trim());
  if (match === null) return undefined;
  const [, digits, exponent, suffix] = match;
  const scale = exponent !== undefined ? 10 ** Number(exponent) : suffixes[suffix ?? '']!;
  const weight = Number(digits) * scale;
  return Number.isFinite(weight) ? weight : undefined;
}

/**
 * The weight as the served version writes it: a Quantity string in v1alpha1 (what Go clients of that version
 * send), an integer from v1alpha2 on.
 */
export function formatWeight(version: string, weight: number): number | string {
  return version === 'v1alpha1' ? String(weight) : weight;
}
