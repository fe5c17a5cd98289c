/** The comparison the judge's statistics and their explanations are tested on: latency samples, a 10% allowance. */

export const latencyJudgeOptions = {
  what: 'latency',
  direction: 'increase',
  confidence: 0.98,
  allowedIncrease: 1.1,
  allowedDecrease: 0,
} as const;

/** `n` samples around `base`, spread a little so that the ranks are not all tied. */
export const samples = (base: number, n = 20) => Array.from({ length: n }, (_, i) => base + (i % 5) / 1000);
