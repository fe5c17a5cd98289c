import { describe, expect, it } from 'vitest';
import { comparisonTable, ratio, requestTotals, type Comparison, type ControllerFigures } from './compareFigures.ts';
import { parseExposition } from './stats.ts';

describe("requests counted by each controller's own metrics", () => {
  it("reads Argo's controller_clientset_k8s_request_total by its capitalized verbs, every status code", () => {
    const argo = parseExposition(
      [
        '# HELP controller_clientset_k8s_request_total Number of kubernetes requests executed during application reconciliation.',
        '# TYPE controller_clientset_k8s_request_total counter',
        'controller_clientset_k8s_request_total{kind="replicasets",name="N/A",namespace="ns",status_code="200",verb="List"} 26',
        'controller_clientset_k8s_request_total{kind="rollouts",name="app-0",namespace="ns",status_code="200",verb="Update"} 5',
        'controller_clientset_k8s_request_total{kind="rollouts",name="app-0",namespace="ns",status_code="409",verb="Update"} 1',
        'controller_clientset_k8s_request_total{kind="replicasets",name="N/A",namespace="ns",status_code="201",verb="Create"} 2',
        'controller_clientset_k8s_request_total{kind="rollouts",name="app-0",namespace="ns",status_code="200",verb="Get"} 3',
        'controller_clientset_k8s_request_total{kind="rollouts",name="N/A",namespace="ns",status_code="200",verb="Watch"} 4',
        'controller_clientset_k8s_request_total{kind="Unknown",name="Unknown",namespace="Unknown",status_code="200",verb="Unknown"} 7',
        'workqueue_adds_total{name="Rollouts"} 99',
      ].join('\n'),
    );
    expect(requestTotals(argo, 'controller_clientset_k8s_request_total')).toEqual({ writes: 8, reads: 29, watches: 4 });
  });

  it("reads Sluice's sluice_kube_api_requests_total by its lower-case verbs, and nothing of another metric", () => {
    const sluice = parseExposition(
      [
        'sluice_kube_api_requests_total{verb="patch",code="200",resource="rollouts/status"} 16',
        'sluice_kube_api_requests_total{verb="apply",code="200",resource="replicasets"} 4',
        'sluice_kube_api_requests_total{verb="list",code="200",resource="pods"} 2',
        'sluice_kube_api_requests_total{verb="watch",code="200",resource="pods"} 1',
        'controller_clientset_k8s_request_total{verb="Patch",status_code="200"} 50',
      ].join('\n'),
    );
    expect(requestTotals(sluice, 'sluice_kube_api_requests_total')).toEqual({ writes: 20, reads: 2, watches: 1 });
  });
});

const figures = (over: Partial<ControllerFigures>): ControllerFigures => ({
  takeoverSeconds: 10,
  canarySeconds: 20,
  cpuSeconds: { wholeRun: 5, canary: 2 },
  canaryRequestsPerRollout: { writes: 16.3, reads: 0, watches: 0 },
  rssMiB: {
    idleAfterTakeover: 100,
    idleAfterTakeoverGc: 90,
    peakHwm: 150,
    peakSampled: 140,
    idleAfterCanary: 120,
    idleAfterCanaryGc: 95,
  },
  logFile: 'x.log',
  ...over,
});

describe('the side-by-side table', () => {
  it('gives Sluice / Argo to two places, and n/a when Argo has none of it', () => {
    expect(ratio(8.4, 13.7)).toBe('0.61');
    expect(ratio(0, 25.4)).toBe('0.00');
    expect(ratio(3, 0)).toBe('n/a');
    expect(ratio(0, 0)).toBe('1.00');
  });

  it('prints each figure for both controllers with the ratio, in the order of the issue', () => {
    const c: Comparison = {
      rollouts: 1000,
      replicasPerRollout: 4,
      order: ['Sluice', 'Argo Rollouts'],
      sluice: figures({}),
      argo: figures({
        takeoverSeconds: 40,
        canaryRequestsPerRollout: { writes: 26.9, reads: 25.4, watches: 0 },
        rssMiB: {
          idleAfterTakeover: 200,
          idleAfterTakeoverGc: 180,
          peakHwm: 300,
          peakSampled: 280,
          idleAfterCanary: 240,
          idleAfterCanaryGc: 190,
        },
      }),
    };
    const lines = comparisonTable(c).split('\n');
    expect(lines[0]).toBe('| N = 1,000 | Sluice | Argo Rollouts | Sluice / Argo |');
    expect(lines).toContain('| all taken over (s, from start) | 10.0 | 40.0 | 0.25 |');
    expect(lines).toContain('| reads per rollout in the canary | 0.0 | 25.4 | 0.00 |');
    expect(lines).toContain('| RSS peak, VmHWM (MiB) | 150 | 300 | 0.50 |');
    expect(lines).toContain('| RSS idle after canary, after GC (MiB) | 95 | 190 | 0.50 |');
    expect(lines.filter((l) => l.startsWith('| RSS'))).toHaveLength(6);
  });

  it('takes the ratio of the printed figures, so the row reads true to a reader who divides', () => {
    const c: Comparison = {
      rollouts: 20,
      replicasPerRollout: 4,
      order: [],
      sluice: figures({ rssMiB: { ...figures({}).rssMiB, peakHwm: 100.4 } }),
      argo: figures({ rssMiB: { ...figures({}).rssMiB, peakHwm: 199.6 } }),
    };
    expect(comparisonTable(c).split('\n')).toContain('| RSS peak, VmHWM (MiB) | 100 | 200 | 0.50 |');
  });

  it("given Sluice's side alone (--compare sluice), then one column of Sluice's figures and no ratio", () => {
    const c: Comparison = {
      rollouts: 1000,
      replicasPerRollout: 4,
      order: ['Sluice'],
      sluice: figures({ rssMiB: { ...figures({}).rssMiB, peakHwm: 160.4 } }),
    };
    const lines = comparisonTable(c).split('\n');
    expect(lines[0]).toBe('| N = 1,000 | Sluice |');
    expect(lines).toContain('| RSS peak, VmHWM (MiB) | 160 |');
    expect(lines.every((l) => !l.includes('Argo'))).toBe(true);
  });
});
