/**
 * The Sluice dashboard page: plain TypeScript and the DOM. It reads everything from one server-sent event stream
 * (a snapshot, then changes, and the detail of the rollout being shown), so it updates live without polling, and
 * says plainly when the API cannot be reached while it keeps the last data it had.
 */
import './style.css';
import type { DashboardInfo, RolloutSummary, StreamMessages } from '../../controller/src/dashboard/model.ts';
import { fetchInfo, Stream, tokenStore, type ConnectionState } from './connection.ts';
import { DetailView } from './detail.ts';
import { byId, h } from './dom.ts';
import { routeOf } from './format.ts';
import { ListView } from './list.ts';

const app = byId('app');
const banner = byId('banner');
const live = byId('live');
const auth = byId('auth');

function showState(state: ConnectionState): void {
  live.className = `live live-${state.kind}`;
  live.textContent =
    state.kind === 'live'
      ? 'live'
      : state.kind === 'connecting'
        ? 'connecting…'
        : state.kind === 'starting'
          ? 'starting'
          : 'offline';
  if (state.kind === 'live' || state.kind === 'connecting') {
    banner.hidden = true;
    banner.textContent = '';
  } else {
    banner.hidden = false;
    banner.className = `banner banner-${state.kind}`;
    banner.textContent = state.kind === 'down' ? `${state.message} The data below may be out of date.` : state.message;
  }
}

function renderAuth(info: DashboardInfo, onChange: () => void): void {
  if (!info.actions) {
    auth.replaceChildren(
      h(
        'span',
        { class: 'muted', title: 'Start the controller with --dashboard-actions=true to allow actions' },
        'read-only',
      ),
    );
    return;
  }
  if (tokenStore.get() !== undefined) {
    auth.replaceChildren(
      h('span', { class: 'muted' }, 'token set '),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            tokenStore.clear();
            renderAuth(info, onChange);
            onChange();
          },
        },
        'forget',
      ),
    );
    return;
  }
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    placeholder: 'Kubernetes token for actions',
    'aria-label': 'Kubernetes bearer token',
  });
  const form = h(
    'form',
    {
      class: 'token',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (input.value.trim() === '') return;
        tokenStore.set(input.value);
        renderAuth(info, onChange);
        onChange();
      },
    },
    input,
    h('button', { type: 'submit' }, 'Use token'),
  );
  auth.replaceChildren(form);
}

async function loadInfo(): Promise<DashboardInfo> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchInfo();
    } catch (err) {
      showState({ kind: 'down', message: err instanceof Error ? err.message : String(err) });
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1_000 * 2 ** Math.min(attempt, 4))));
    }
  }
}

async function start(): Promise<void> {
  showState({ kind: 'connecting' });
  const info = await loadInfo();
  const rows = new Map<string, RolloutSummary>();
  const list = new ListView();
  const detail = new DetailView(info);
  renderAuth(info, () => detail.refresh());

  let shownKey: string | undefined;
  let listDirty = false;
  const listChanged = () => {
    if (listDirty) return;
    listDirty = true;
    requestAnimationFrame(() => {
      listDirty = false;
      list.setRollouts(rows.values());
    });
  };
  const stream = new Stream({
    onState: showState,
    onMessage<E extends keyof StreamMessages>(event: E, data: StreamMessages[E]) {
      if (event === 'snapshot') {
        const { items } = data as StreamMessages['snapshot'];
        rows.clear();
        for (const s of items) rows.set(s.key, s);
        listChanged();
      } else if (event === 'changes') {
        const { upserted, removed } = data as StreamMessages['changes'];
        for (const key of removed) rows.delete(key);
        for (const s of upserted) rows.set(s.key, s);
        listChanged();
      } else {
        const message = data as StreamMessages['detail'];
        if (message.key === shownKey) detail.update(message.rollout);
      }
    },
  });

  const route = () => {
    const r = routeOf(location.hash);
    if (r.view === 'list') {
      shownKey = undefined;
      app.replaceChildren(list.element);
      list.refresh();
      document.title = 'Sluice';
    } else {
      shownKey = `${r.namespace}/${r.name}`;
      detail.show(shownKey);
      app.replaceChildren(detail.element);
      document.title = `${r.name} · Sluice`;
    }
    stream.open(shownKey);
  };
  window.addEventListener('hashchange', route);
  route();
  // Ages move on even when nothing changes.
  setInterval(() => list.refresh(), 15_000);
}

void start();
