/**
 * One rollout: what it is doing, the buttons (when actions are on), the step timeline, the weight chart, each
 * analysis metric against its thresholds, the flags it changed and its recent Events. Redrawn on each pushed
 * detail; chart hosts are kept between redraws so the charts update in place.
 */
import {
  dashboardActions,
  type DashboardAction,
  type DashboardInfo,
  type MetricView,
  type RolloutDetail,
} from '../../controller/src/dashboard/model.ts';
import { Charts } from './charts.ts';
import { requestAction, tokenStore } from './connection.ts';
import { append, h } from './dom.ts';
import {
  actionHints,
  actionLabels,
  age,
  barWidth,
  confirmedActions,
  formatValue,
  phaseClass,
  phaseText,
  relativeTime,
  stepText,
} from './format.ts';

export class DetailView {
  readonly element = h('section', { class: 'detail' });
  readonly #charts = new Charts();
  readonly #chartHosts = new Map<string, HTMLElement>();
  readonly #result = h('p', { class: 'action-result', role: 'status' });
  readonly #info: DashboardInfo;
  #key = '';
  #last: RolloutDetail | null | undefined;
  #busy = false;

  constructor(info: DashboardInfo) {
    this.#info = info;
  }

  /** Shows `key` (namespace/name); the data arrives with update(). */
  show(key: string): void {
    if (key === this.#key) return;
    this.#key = key;
    this.#last = undefined;
    this.#result.textContent = '';
    for (const host of this.#chartHosts.values()) host.remove();
    this.#chartHosts.clear();
    this.#charts.keepOnly(new Set());
    this.#render();
  }

  update(detail: RolloutDetail | null): void {
    this.#last = detail;
    this.#render();
  }

  /** Redraws with the current token state (signed in or out). */
  refresh(): void {
    this.#render();
  }

  #host(id: string): HTMLElement {
    let host = this.#chartHosts.get(id);
    if (host === undefined) {
      host = h('div', { class: 'chart', 'data-chart': id });
      this.#chartHosts.set(id, host);
    }
    return host;
  }

  #render(): void {
    const d = this.#last;
    const back = h('a', { class: 'back', href: '#/' }, '← All rollouts');
    if (d === undefined) {
      this.element.replaceChildren(back, h('p', { class: 'empty' }, `Loading ${this.#key}…`));
      return;
    }
    if (d === null) {
      this.element.replaceChildren(
        back,
        h(
          'p',
          { class: 'empty' },
          `Rollout ${this.#key} was not found: it was deleted, or another controller handles it.`,
        ),
      );
      return;
    }
    const now = Date.now();
    const used = new Set<string>(['weight']);
    const weightHost = this.#host('weight');
    const analysis = d.analysis.flatMap((run) => [
      h(
        'h3',
        {},
        `${run.title} `,
        h('span', { class: `phase ${phaseClass(analysisPhaseColour(run.phase))}` }, run.phase),
        h('span', { class: 'muted' }, ` revision ${run.revision}`),
      ),
      run.message === undefined ? null : h('p', { class: 'muted' }, run.message),
      h(
        'div',
        { class: 'metrics' },
        ...run.metrics.map((m) => {
          const id = `metric:${run.name}:${m.name}`;
          used.add(id);
          return metricCard(m, this.#host(id));
        }),
      ),
    ]);

    this.element.replaceChildren();
    append(this.element, [
      back,
      h(
        'div',
        { class: 'title' },
        h('h2', {}, d.name, h('span', { class: 'muted' }, ` in ${d.namespace}`)),
        h('span', { class: `phase big ${phaseClass(d.phase)}` }, phaseText(d)),
      ),
      h('p', { class: 'message' }, d.message),
      this.#actions(d),
      h(
        'dl',
        { class: 'facts' },
        ...(d.blueGreen === undefined ? [] : fact('Strategy', 'blue-green')),
        ...fact('Step', stepText(d)),
        ...fact(
          'Weights',
          h('span', {}, weightBar(d.canaryWeight), ` canary ${d.canaryWeight}% · stable ${d.stableWeight}%`),
        ),
        ...fact('Stable revision', d.stableRevision ?? '–'),
        ...fact(
          'Canary revision',
          d.canaryRevision === undefined || d.canaryRevision === d.stableRevision ? '–' : d.canaryRevision,
        ),
        ...fact(
          'Paused',
          d.paused ? 'yes (spec.paused)' : d.pauseReasons.length > 0 ? d.pauseReasons.join(', ') : 'no',
        ),
        ...blueGreenFacts(d, new Date(now)),
        // Any strategy may keep the previous revision running for a while; blue-green does (scaleDownDelaySeconds).
        ...d.scaleDown.flatMap((w) =>
          fact(
            'Scale down',
            w.scaleDownAt === undefined
              ? `revision ${w.revision} kept while users may still reach it`
              : `revision ${w.revision} kept until ${new Date(w.scaleDownAt).toLocaleString()} (${relativeTime(w.scaleDownAt, new Date(now))})`,
          ),
        ),
        ...fact('Age', age(d.createdAt, new Date(now))),
      ),
      h('h3', {}, 'Steps'),
      h(
        'ol',
        { class: 'timeline' },
        ...d.steps.map((s) =>
          h('li', { class: `step-${s.state}`, title: s.state }, h('span', { class: 'dot' }), h('span', {}, s.text)),
        ),
      ),
      h('h3', {}, d.blueGreen === undefined ? 'Canary weight over time' : 'Traffic on the new revision over time'),
      weightHost,
      h('p', { class: 'muted small' }, 'As seen by this controller process since it started.'),
      ...(analysis.length > 0
        ? [h('h2', {}, 'Analysis'), ...analysis]
        : [
            h('h3', {}, 'Analysis'),
            h(
              'p',
              { class: 'muted' },
              `No analysis has run for this ${d.blueGreen === undefined ? 'canary' : 'revision'}.`,
            ),
          ]),
      h('h3', {}, 'Feature flags changed'),
      d.flags.length === 0
        ? h('p', { class: 'muted' }, 'None.')
        : table(
            ['Flag', 'Project', 'Environment', 'Rollout', 'Before', 'On abort'],
            d.flags.map((f) => [
              f.name,
              f.project,
              f.environment,
              `${f.rollout}%`,
              `${f.previousEnabled ? 'on' : 'off'}${f.previousRollout === undefined ? '' : `, ${f.previousRollout}%`}`,
              f.onAbort,
            ]),
          ),
      h('h3', {}, 'Events'),
      d.events.length === 0
        ? h('p', { class: 'muted' }, 'No recent Events.')
        : table(
            ['Age', 'Type', 'Reason', 'Message'],
            d.events.map((e) => [
              `${age(e.time, new Date(now))}${e.count > 1 ? ` (×${e.count})` : ''}`,
              e.type,
              e.reason,
              e.message,
            ]),
            'events',
          ),
      d.conditions.length === 0
        ? null
        : h(
            'details',
            {},
            h('summary', {}, 'Conditions'),
            table(
              ['Type', 'Status', 'Reason', 'Message'],
              d.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
            ),
          ),
    ]);
    this.#charts.weight('weight', weightHost, d.weightHistory, now);
    for (const run of d.analysis)
      for (const m of run.metrics) {
        const id = `metric:${run.name}:${m.name}`;
        if (m.measurements.some((x) => x.value !== null)) this.#charts.metric(id, this.#host(id), m);
      }
    this.#charts.keepOnly(used);
  }

  #actions(d: RolloutDetail): HTMLElement {
    if (!this.#info.actions)
      return h(
        'p',
        { class: 'muted readonly' },
        'Read-only: actions are off on this controller (--dashboard-actions).',
      );
    const token = tokenStore.get();
    const buttons = dashboardActions.map((action) => {
      const applicable = d.applicableActions.includes(action);
      return h(
        'button',
        {
          type: 'button',
          class: `action action-${action}`,
          'data-action': action,
          disabled: this.#busy || token === undefined || !applicable,
          title:
            token === undefined
              ? 'Enter a token (top right) to act'
              : applicable
                ? actionHints[action]
                : `${actionLabels[action]} does not apply now`,
          onclick: () => void this.#press(d, action),
        },
        actionLabels[action],
      );
    });
    return h(
      'div',
      { class: 'actions' },
      ...buttons,
      token === undefined ? h('span', { class: 'muted' }, 'Enter a Kubernetes token to act.') : null,
      this.#result,
    );
  }

  async #press(d: RolloutDetail, action: DashboardAction): Promise<void> {
    const token = tokenStore.get();
    if (token === undefined || this.#busy) return;
    if (
      confirmedActions.has(action) &&
      !window.confirm(`${actionLabels[action]} ${d.namespace}/${d.name}? ${actionHints[action]}.`)
    )
      return;
    this.#busy = true;
    this.#result.className = 'action-result';
    this.#result.textContent = `${actionLabels[action]}…`;
    this.#render();
    const outcome = await requestAction(d.namespace, d.name, action, token);
    this.#busy = false;
    this.#result.className = `action-result ${outcome.ok ? 'ok' : 'failed'}`;
    this.#result.textContent = outcome.message;
    this.#render();
  }
}

function analysisPhaseColour(phase: string): string {
  return phase === 'Successful'
    ? 'Healthy'
    : phase === 'Failed' || phase === 'Error'
      ? 'Degraded'
      : phase === 'Inconclusive'
        ? 'Paused'
        : 'Progressing';
}

function metricCard(m: MetricView, chartHost: HTMLElement): HTMLElement {
  const numeric = m.measurements.some((x) => x.value !== null);
  const conditions = [
    m.successCondition === undefined ? null : h('code', { class: 'pass' }, `pass: ${m.successCondition}`),
    m.failureCondition === undefined ? null : h('code', { class: 'fail' }, `fail: ${m.failureCondition}`),
    m.compare === undefined ? null : h('code', {}, `compare: ${m.compare}`),
  ];
  return h(
    'article',
    { class: 'metric', 'data-metric': m.name },
    h(
      'header',
      {},
      h('strong', {}, m.name),
      ' ',
      h('span', { class: `phase ${phaseClass(analysisPhaseColour(m.phase))}` }, m.phase),
      m.dryRun ? h('span', { class: 'muted' }, ' dry run') : null,
    ),
    h(
      'p',
      { class: 'counts muted' },
      `${m.count} measured · ${m.successful} passed · ${m.failed} failed · ${m.inconclusive} inconclusive · ${m.errors} errors`,
    ),
    h('p', { class: 'conditions' }, ...conditions),
    m.explanation === undefined || m.phase === 'Running' || m.phase === 'Pending'
      ? null
      : h('p', { class: 'explanation', 'data-phase': m.phase }, `Why ${m.phase.toLowerCase()}: ${m.explanation}`),
    numeric ? chartHost : h('p', { class: 'muted' }, 'No numeric measurement to chart.'),
    table(
      ['Finished', 'Phase', 'Value'],
      [...m.measurements]
        .reverse()
        .map((x) => [
          age(x.finishedAt ?? x.startedAt, new Date()),
          x.phase,
          x.message === undefined ? formatValue(x.value, x.text) : `${formatValue(x.value, x.text)} (${x.message})`,
        ]),
      'measurements',
    ),
  );
}

/** Where a blue-green rollout's Services point; none for a canary. */
function blueGreenFacts(d: RolloutDetail, now: Date): HTMLElement[] {
  const bg = d.blueGreen;
  if (bg === undefined) return [];
  const service = (name: string, revision: string | undefined) =>
    `Service ${name}${revision === undefined ? '' : ` → revision ${revision}`}`;
  return [
    ...fact('Active', service(bg.activeService, bg.activeRevision)),
    ...fact('Preview', service(bg.previewService, bg.previewRevision)),
    ...fact(
      'Blue-green phase',
      `${bg.phase === '' ? '–' : bg.phase}${bg.switchedAt === undefined ? '' : ` · last switch ${relativeTime(bg.switchedAt, now)}`}`,
    ),
  ];
}

function weightBar(weight: number): HTMLElement {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${barWidth(weight)}%`;
  return h('span', { class: 'bar' }, fill);
}

function fact(term: string, value: string | Node): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function table(head: string[], rows: string[][], className = ''): HTMLElement {
  const t = h('table', { class: className }, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))));
  const body = h('tbody');
  for (const r of rows) body.append(h('tr', {}, ...r.map((c) => h('td', {}, c))));
  t.append(body);
  return t;
}
