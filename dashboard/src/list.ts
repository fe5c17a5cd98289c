/**
 * The list of rollouts: filters (text, namespace, phase) and a virtual table that draws only the rows in view,
 * so 1,000 or 10,000 rollouts scroll as smoothly as ten. Rows are links to the detail view.
 */
import {
  compareSummaries,
  matchesFilter,
  rolloutPhases,
  type RolloutSummary,
} from '../../controller/src/dashboard/model.ts';
import { clear, h } from './dom.ts';
import { age, barWidth, detailHash, phaseClass, phaseText, stepText, visibleRange } from './format.ts';

const rowHeight = 40;

export class ListView {
  readonly element: HTMLElement;
  readonly #viewport: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #rows: HTMLElement;
  readonly #count: HTMLElement;
  readonly #text: HTMLInputElement;
  readonly #namespace: HTMLSelectElement;
  readonly #phase: HTMLSelectElement;
  #all: RolloutSummary[] = [];
  #shown: RolloutSummary[] = [];
  #frame = 0;
  #loaded = false;

  constructor() {
    this.#text = h('input', {
      type: 'search',
      placeholder: 'Filter by name, namespace or message',
      'aria-label': 'Filter',
      oninput: () => this.#refilter(),
    });
    this.#namespace = h(
      'select',
      { 'aria-label': 'Namespace', onchange: () => this.#refilter() },
      h('option', { value: '' }, 'All namespaces'),
    );
    this.#phase = h(
      'select',
      { 'aria-label': 'Phase', onchange: () => this.#refilter() },
      h('option', { value: '' }, 'All phases'),
      ...rolloutPhases.map((p) => h('option', { value: p }, p)),
    );
    this.#count = h('span', { class: 'count' });
    this.#rows = h('div', { class: 'rows' });
    this.#spacer = h('div', { class: 'spacer' }, this.#rows);
    this.#viewport = h('div', { class: 'viewport', role: 'rowgroup', onscroll: () => this.#schedule() }, this.#spacer);
    const head = h(
      'div',
      { class: 'row head', role: 'row' },
      ...['Name', 'Namespace', 'Phase', 'Step', 'Canary weight', 'Age'].map((c) =>
        h('span', { role: 'columnheader' }, c),
      ),
    );
    this.element = h(
      'section',
      { class: 'list' },
      h('div', { class: 'filters' }, this.#text, this.#namespace, this.#phase, this.#count),
      h('div', { class: 'table', role: 'table', 'aria-label': 'Rollouts' }, head, this.#viewport),
    );
    window.addEventListener('resize', () => this.#schedule());
  }

  /** Every rollout the stream knows, in any order. */
  setRollouts(all: Iterable<RolloutSummary>): void {
    this.#all = [...all].sort(compareSummaries);
    this.#loaded = true;
    this.#updateNamespaces();
    this.#refilter();
  }

  /** Redraws (ages move on). */
  refresh(): void {
    this.#schedule();
  }

  #updateNamespaces(): void {
    const namespaces = [...new Set(this.#all.map((s) => s.namespace))].sort();
    const current = [...this.#namespace.options].slice(1).map((o) => o.value);
    if (namespaces.join('\n') === current.join('\n')) return;
    const selected = this.#namespace.value;
    this.#namespace.replaceChildren(
      h('option', { value: '' }, 'All namespaces'),
      ...namespaces.map((ns) => h('option', { value: ns }, ns)),
    );
    this.#namespace.value = namespaces.includes(selected) ? selected : '';
  }

  #refilter(): void {
    const phase = this.#phase.value;
    this.#shown = this.#all.filter((s) =>
      matchesFilter(s, {
        namespace: this.#namespace.value,
        phases: phase === '' ? [] : [phase],
        text: this.#text.value,
      }),
    );
    this.#count.textContent = `${this.#shown.length} of ${this.#all.length} rollouts`;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw();
    });
  }

  #draw(): void {
    this.#spacer.style.height = `${this.#shown.length * rowHeight}px`;
    if (this.#shown.length === 0) {
      this.#rows.style.transform = '';
      this.#rows.replaceChildren(
        h(
          'div',
          { class: 'empty' },
          !this.#loaded ? 'Loading…' : this.#all.length === 0 ? 'No rollouts yet.' : 'No rollout matches the filter.',
        ),
      );
      return;
    }
    const { first, last } = visibleRange(
      this.#viewport.scrollTop,
      this.#viewport.clientHeight || 600,
      rowHeight,
      this.#shown.length,
    );
    this.#rows.style.transform = `translateY(${first * rowHeight}px)`;
    clear(this.#rows);
    const now = new Date();
    for (const s of this.#shown.slice(first, last)) this.#rows.append(row(s, now));
  }
}

function row(s: RolloutSummary, now: Date): HTMLElement {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${barWidth(s.canaryWeight)}%`;
  return h(
    'a',
    { class: 'row', role: 'row', href: detailHash(s.namespace, s.name), 'data-key': s.key, title: s.message },
    h(
      'span',
      { class: 'name', role: 'cell' },
      s.name,
      s.strategy === 'blueGreen' ? h('span', { class: 'tag' }, 'blue-green') : null,
    ),
    h('span', { class: 'namespace', role: 'cell' }, s.namespace),
    h('span', { role: 'cell' }, h('span', { class: `phase ${phaseClass(s.phase)}` }, phaseText(s))),
    h('span', { class: 'step', role: 'cell' }, stepText(s)),
    h(
      'span',
      { class: 'weight', role: 'cell' },
      h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
      h('span', { class: 'weight-text' }, `${s.canaryWeight}%`),
    ),
    h('span', { class: 'age', role: 'cell' }, age(s.createdAt, now)),
  );
}
