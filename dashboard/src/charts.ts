/**
 * The detail view's charts, drawn with uPlot (small, canvas, fast enough to redraw on every pushed change): the
 * canary weight over time, and each metric's measurements against the thresholds read from its conditions.
 * A chart is updated in place when its shape is unchanged, so live updates do not flicker.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricView, ThresholdView } from '../../controller/src/dashboard/model.ts';

const colours = { canary: '#d97706', value: '#2563eb', success: '#16a34a', failure: '#dc2626' };

interface Drawn {
  plot: uPlot;
  shape: string;
}

export class Charts {
  readonly #drawn = new Map<string, Drawn>();

  constructor() {
    window.addEventListener('resize', () => {
      for (const { plot } of this.#drawn.values())
        plot.setSize({ width: widthOf(plot.root.parentElement), height: plot.height });
    });
  }

  /** Canary weight (percent) over time, as a step line that runs on to now. */
  weight(id: string, target: HTMLElement, history: { t: number[]; canary: number[] }, now: number): void {
    const t = history.t.map((ms) => ms / 1000);
    const canary = [...history.canary];
    const last = canary.at(-1);
    if (last !== undefined) {
      t.push(Math.max(now / 1000, (t.at(-1) ?? 0) + 1));
      canary.push(last);
    }
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    this.#draw(id, target, 'weight', [t, canary], () => ({
      series: [
        {},
        {
          label: 'Canary weight %',
          stroke: colours.canary,
          width: 2,
          fill: 'rgba(217, 119, 6, 0.12)',
          ...(stepped === undefined ? {} : { paths: stepped }),
        },
      ],
      scales: { y: { range: [0, 100] } },
      axes: [{ space: 90 }, { values: (_u: uPlot, ticks: number[]) => ticks.map((v) => `${v}%`) }],
    }));
  }

  /** One metric: its numeric measurements, and a dashed line per threshold. */
  metric(id: string, target: HTMLElement, metric: MetricView): void {
    const points = metric.measurements.filter((m) => m.value !== null);
    const t = points.map((m) => Date.parse(m.finishedAt ?? m.startedAt) / 1000);
    const values = points.map((m) => m.value);
    const lines = metric.thresholds.map((th) => t.map(() => th.value));
    const shape = `metric:${metric.thresholds.map((th) => `${th.verdict}${th.op}${th.value}`).join(',')}`;
    const all = [...values.filter((v): v is number => v !== null), ...metric.thresholds.map((th) => th.value)];
    const low = Math.min(0, ...all);
    const high = Math.max(...all, low + 1e-9);
    this.#draw(id, target, shape, [t, values, ...lines], () => ({
      series: [
        {},
        { label: metric.name, stroke: colours.value, width: 2, points: { show: true, size: 7 } },
        ...metric.thresholds.map((th) => thresholdSeries(th)),
      ],
      scales: { y: { range: [low, high + (high - low) * 0.15] } },
      axes: [{ space: 90 }, {}],
    }));
  }

  /** Forgets charts no longer on the page. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const [id, drawn] of this.#drawn) {
      if (ids.has(id) && drawn.plot.root.isConnected) continue;
      drawn.plot.destroy();
      this.#drawn.delete(id);
    }
  }

  #draw(
    id: string,
    target: HTMLElement,
    shape: string,
    data: uPlot.AlignedData,
    options: () => Omit<uPlot.Options, 'width' | 'height'>,
  ): void {
    const existing = this.#drawn.get(id);
    if (existing !== undefined && existing.shape === shape && existing.plot.root.parentElement === target) {
      existing.plot.setData(data);
      return;
    }
    existing?.plot.destroy();
    const plot = new uPlot(
      {
        width: widthOf(target),
        height: 180,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        ...options(),
      },
      data,
      target,
    );
    this.#drawn.set(id, { plot, shape });
  }
}

function thresholdSeries(th: ThresholdView): uPlot.Series {
  const word = th.verdict === 'success' ? 'pass' : 'fail';
  return {
    label: `${word} if ${th.op} ${th.value}`,
    stroke: th.verdict === 'success' ? colours.success : colours.failure,
    width: 1.5,
    dash: [6, 4],
    points: { show: false },
  };
}

function widthOf(el: HTMLElement | null): number {
  return Math.max(240, (el?.clientWidth ?? 600) - 4);
}
