/**
 * Review tests of the explainable verdicts (verdictExplanation.ts, judgeStatistics.ts, dashboard/view.ts): each
 * fails on the current code and passes once the defect in its `// review:` comment is fixed.
 */
import { describe, expect, it } from 'vitest';
import type { Measurement, MetricResult } from '../api/types.ts';
import { judge } from './judge.ts';
import { latencyJudgeOptions, samples } from './judge.test-support.ts';
import { judgeStatistics } from './judgeStatistics.ts';
import { explainMeasurement, explainMetric } from './verdictExplanation.ts';

const at = { startedAt: '2026-11-30T10:00:00Z', finishedAt: '2026-11-30T10:00:01Z' };
const opts = latencyJudgeOptions;

describe('review: explanations that send the on-call engineer the wrong way', () => {
  // review: when both tracks hold infinities (histogram_quantile over a histogram whose quantile falls in the +Inf
  // bucket on canary and stable alike - a common sight when latency passes the top bucket) the judge returns NoData
  // with 21/21 samples and infinite means. judgeStatistics drops the infinite means, and explainJudge takes "no
  // means and no U" for "too few samples": the dashboard and `kubectl sluice status` say "too few samples to
  // compare: 21 canary, 21 stable", which sends the engineer to lengthen range.lookback for nothing, while the
  // judge's own reason says the means cannot be compared.
  it('does not call 21 samples on each side "too few" when the means were infinite', () => {
    const result = judge([...samples(1), Infinity], [...samples(1), Infinity], opts);
    expect(result.classification).toBe('NoData');
    const m: Measurement = {
      phase: 'Inconclusive',
      message: result.reason,
      judge: judgeStatistics(result),
      ...at,
    };
    const why = explainMeasurement(m)!;
    expect(why).not.toMatch(/too few samples/);
  });

  // review: a finite mean beyond the status bound (1e15, e.g. a bytes-served metric of 2 PB, or nanoseconds) is left
  // out of status, and the explanation then says "(a mean is not finite)": a false statement about the data.
  it('does not call a finite mean above the status bound "not finite"', () => {
    const result = judge(samples(2e15), samples(1e15), opts);
    const m: Measurement = { phase: 'Failed', message: result.reason, judge: judgeStatistics(result), ...at };
    expect(explainMeasurement(m)).not.toMatch(/not finite/);
  });

  // review: the dashboard explains a measurement with the condition of the template as it is *now* (view.ts passes
  // the live template's conditions, and explainMeasurement prefers them to the one the measurement recorded in its
  // message). After the template is edited (the usual reaction to a failed canary: loosen the threshold and retry)
  // the "Why failed" line of the old measurement states a condition that did not decide it, and can contradict
  // itself: "value 0.31 vs successCondition result < 0.5 (not met)". The recorded condition must win.
  it('explains a failed measurement with the condition it was judged by, not a later edit of the template', () => {
    const failed: Measurement = {
      phase: 'Failed',
      value: '0.31',
      message: 'successCondition result < 0.05 not met',
      decidedBy: 'successCondition',
      ...at,
    };
    const why = explainMeasurement(failed, { successCondition: 'result < 0.5' })!;
    expect(why).toContain('result < 0.05');
    expect(why).not.toContain('result < 0.5 ');
  });
});

describe('review: a metric explained by a measurement that did not decide it', () => {
  const measured = (m: Partial<Measurement>): Measurement => ({ phase: 'Successful', ...at, ...m });
  const result = (phase: MetricResult['phase'], measurements: Measurement[]): MetricResult => ({
    name: 'error-rate',
    phase,
    count: measurements.filter((m) => m.phase !== 'Error').length,
    successful: measurements.filter((m) => m.phase === 'Successful').length,
    failed: measurements.filter((m) => m.phase === 'Failed').length,
    inconclusive: 0,
    errors: measurements.filter((m) => m.phase === 'Error').length,
    consecutiveErrors: 0,
    measurements,
  });
  const conditions = { successCondition: 'result < 0.05' };
  const pass = measured({ value: '0.01', decidedBy: 'successCondition' });

  // review: a metric ends Error when consecutiveErrorLimit is passed (Prometheus unreachable, a query refused).
  // explainMetric explains every phase but Failed by the newest non-Error measurement, so the dashboard shows
  // "Why error: value 0.01 meets result < 0.05" - the opposite of the reason, on the card an on-call engineer
  // opens to find why the canary was aborted (an Error run aborts it). An Error is its messages' to explain.
  it('does not explain a metric that ended in Error by an earlier passing measurement', () => {
    const down = measured({ phase: 'Error', message: 'Prometheus at http://prom:9090 was unreachable' });
    const why = explainMetric(result('Error', [pass, down, down, down, down, down]), conditions);
    expect(why ?? '').not.toMatch(/meets/);
  });

  // review: with consecutiveSuccessLimit, a count that runs out before the streak ends the metric Inconclusive
  // (metric.ts) although its newest measurements passed. explainMetric picks the newest one, and both the dashboard
  // ("Why inconclusive: ...") and `kubectl sluice status` ("error-rate inconclusive: ...") then say "value 0.01
  // meets result < 0.05": a reason that contradicts the verdict and hides the real one (the streak was not reached).
  it('does not explain an Inconclusive metric by a measurement that passed', () => {
    const fail = measured({ phase: 'Failed', value: '0.31', decidedBy: 'successCondition' });
    const why = explainMetric(result('Inconclusive', [fail, pass, pass]), conditions);
    expect(why ?? '').not.toMatch(/meets/);
  });
});
