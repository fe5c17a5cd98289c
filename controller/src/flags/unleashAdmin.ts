/**
 * Sluice's writes to Unleash, through its Admin API: set a flag's gradual rollout percentage and enable it, put a
 * flag back the way it was, or turn it off. Every write is confirmed by reading the flag back, and every call
 * answers with a result (never an exception) whose message names the flag and says what to do.
 *
 * Endpoints (unleash-server 8), under /api/admin/projects/{project}/features/{flag}/environments/{env}:
 * GET (enabled and strategies), POST /on and /off, POST /strategies, PATCH /strategies/{id} (JSON Patch),
 * DELETE /strategies/{id}. Header `Authorization: <admin token>`.
 */
import {
  chooseStrategy,
  describeFlag,
  gradualRollout,
  isSluiceStrategy,
  parseEnvironment,
  sluiceStrategyTitle,
  stateOf,
  type EnvironmentView,
  type FlagRef,
  type FlagState,
  type StrategyChoice,
  type StrategyView,
} from './flagEnvironment.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';
import { traceAdminRequest } from './flagSpans.ts';
import { requestJson, withoutSecrets, type HttpOutcome, type HttpRequest } from './http.ts';
import { unleashEnv } from './settings.ts';

export type { FlagRef, FlagState, StrategyChoice } from './flagEnvironment.ts';

/**
 * auth: the token was refused (fix the Secret). notFound: no such flag, project or environment. unreachable: no
 * answer. http: any other refusal. unconfirmed: Unleash accepted the writes but reads back something else
 * (someone changed the flag at the same moment).
 */
export type AdminFailureKind = 'auth' | 'notFound' | 'unreachable' | 'http' | 'unconfirmed';

export type AdminFailure = { ok: false; kind: AdminFailureKind; message: string };
export type AdminResult = { ok: true; state: FlagState } | AdminFailure;

/** The state to put back, as status.flags recorded it before the rollout changed the flag. */
export interface PreviousFlagState {
  enabled: boolean;
  /** The gradual rollout's percentage; undefined when there was none (Sluice added it, so a restore removes it). */
  rollout: number | undefined;
  /** The strategy Sluice changed or added. */
  strategyId: string | undefined;
}

/** What the step logic needs from Unleash; flagSteps.ts takes it so that its tests can pass a fake. */
export interface FlagAdmin {
  /** The flag's state; `choice` says which gradual rollout strategy to report (default: the first enabled one). */
  read(flag: FlagRef, choice?: StrategyChoice): Promise<AdminResult>;
  /** Sets the gradual rollout to `percent` (adding the strategy if there is none) and enables the flag. */
  setRollout(flag: FlagRef, percent: number, choice?: StrategyChoice): Promise<AdminResult>;
  /** Puts back `previous`: the percentage, or removes the strategy Sluice added; then enabled or disabled. */
  restore(flag: FlagRef, previous: PreviousFlagState): Promise<AdminResult>;
  /** Turns the flag off in the environment, leaving its strategies as they are. */
  disable(flag: FlagRef): Promise<AdminResult>;
}

export interface UnleashAdminOptions {
  /** Base URL of the Unleash server (settings.ts: unleashBaseUrl). */
  url: string;
  adminToken: string;
  /** Deadline of each request; 10 s when omitted. */
  timeoutMs?: number;
  /** Throws when this replica may not write; called right before each write leaves (not before reads). */
  fence?: (() => void) | undefined;
  /** Each request is a child span of the flag operation's (flagSpans.ts); off when omitted. */
  tracer?: Tracer | undefined;
}

type Call = { ok: true; body: unknown } | AdminFailure;

const existing: StrategyChoice = { kind: 'existing' };

export class UnleashAdmin implements FlagAdmin {
  readonly #url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fence: (() => void) | undefined;
  readonly #tracer: Tracer;

  constructor(options: UnleashAdminOptions) {
    this.#fence = options.fence;
    this.#tracer = options.tracer ?? noopTracer;
    this.#url = options.url.replace(/\/+$/, '');
    this.#token = options.adminToken;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async read(flag: FlagRef, choice: StrategyChoice = existing): Promise<AdminResult> {
    const view = await this.#view(flag, 'reading');
    if (!view.ok) return view;
    return { ok: true, state: stateOf(view.view, chooseStrategy(view.view, choice)) };
  }

  async setRollout(flag: FlagRef, percent: number, choice: StrategyChoice = existing): Promise<AdminResult> {
    const doing = `setting the rollout of`;
    const before = await this.#view(flag, doing);
    if (!before.ok) return before;
    let target = chooseStrategy(before.view, choice);
    if (target === undefined) {
      const created = await this.#call(flag, `adding a gradual rollout strategy to`, 'POST', '/strategies', {
        name: gradualRollout,
        title: sluiceStrategyTitle,
        constraints: [],
        parameters: { rollout: String(percent), stickiness: 'default', groupId: flag.name },
      });
      if (!created.ok) return created;
      target = strategyFrom(created.body);
    } else if (target.rollout !== percent) {
      const patched = await this.#call(flag, doing, 'PATCH', `/strategies/${encodeURIComponent(target.id)}`, [
        { op: 'replace', path: '/parameters/rollout', value: String(percent) },
      ]);
      if (!patched.ok) return patched;
    }
    if (!before.view.enabled) {
      const on = await this.#call(flag, 'enabling', 'POST', '/on');
      if (!on.ok) return on;
    }
    // Sluice's own strategy is found by its title if the create answer did not carry an id.
    const confirm: StrategyChoice = target === undefined ? { kind: 'own' } : { kind: 'id', id: target.id };
    return this.#confirm(
      flag,
      confirm,
      (state) => state.enabled && state.rollout?.percent === percent,
      `enabled at ${percent}%`,
    );
  }

  async restore(flag: FlagRef, previous: PreviousFlagState): Promise<AdminResult> {
    const doing = 'restoring';
    const before = await this.#view(flag, doing);
    if (!before.ok) return before;
    const view = before.view;
    let removed: string[] = [];
    let target: StrategyView | undefined;
    if (previous.rollout !== undefined) {
      target =
        previous.strategyId === undefined
          ? chooseStrategy(view, existing)
          : view.strategies.find((s) => s.id === previous.strategyId);
      if (target !== undefined && target.rollout !== previous.rollout) {
        const patched = await this.#call(flag, doing, 'PATCH', `/strategies/${encodeURIComponent(target.id)}`, [
          { op: 'replace', path: '/parameters/rollout', value: String(previous.rollout) },
        ]);
        if (!patched.ok) return patched;
      }
    } else {
      removed = strategiesToRemove(view, previous.strategyId).map((s) => s.id);
      for (const id of removed) {
        const deleted = await this.#call(
          flag,
          `removing the strategy Sluice added to`,
          'DELETE',
          `/strategies/${encodeURIComponent(id)}`,
        );
        // Gone already (a retry after a lost answer, or a user removed it): that is the state wanted.
        if (!deleted.ok && deleted.kind !== 'notFound') return deleted;
      }
    }
    // Unleash turns an environment off when its last strategy is removed: set the wanted state after removals.
    if (view.enabled !== previous.enabled || removed.length > 0) {
      const toggled = await this.#call(
        flag,
        previous.enabled ? 'enabling' : 'disabling',
        'POST',
        previous.enabled ? '/on' : '/off',
      );
      if (!toggled.ok) return toggled;
    }
    const choice: StrategyChoice = target === undefined ? existing : { kind: 'id', id: target.id };
    const wanted = `${previous.enabled ? 'enabled' : 'disabled'}${previous.rollout === undefined ? ' without the strategy Sluice added' : ` at ${previous.rollout}%`}`;
    return this.#confirm(
      flag,
      choice,
      (state, after) =>
        state.enabled === previous.enabled &&
        (target === undefined || state.rollout?.percent === previous.rollout) &&
        removed.every((id) => !after.strategies.some((s) => s.id === id)),
      wanted,
    );
  }

  async disable(flag: FlagRef): Promise<AdminResult> {
    const before = await this.#view(flag, 'disabling');
    if (!before.ok) return before;
    if (before.view.enabled) {
      const off = await this.#call(flag, 'disabling', 'POST', '/off');
      if (!off.ok) return off;
    }
    return this.#confirm(flag, existing, (state) => !state.enabled, 'disabled');
  }

  /** Reads the flag back and checks that it is as wanted. */
  async #confirm(
    flag: FlagRef,
    choice: StrategyChoice,
    isWanted: (state: FlagState, view: EnvironmentView) => boolean,
    wanted: string,
  ): Promise<AdminResult> {
    const after = await this.#view(flag, 'reading back');
    if (!after.ok) return after;
    const state = stateOf(after.view, chooseStrategy(after.view, choice));
    if (isWanted(state, after.view)) return { ok: true, state };
    return {
      ok: false,
      kind: 'unconfirmed',
      message: `Unleash accepted the change but ${describeFlag(flag)} reads back ${describeState(state)}, not ${wanted}: someone may have changed it at the same time; Sluice will try again`,
    };
  }

  async #view(flag: FlagRef, doing: string): Promise<{ ok: true; view: EnvironmentView } | AdminFailure> {
    const got = await this.#call(flag, doing, 'GET', '');
    if (!got.ok) return got;
    const view = parseEnvironment(got.body);
    if (view === undefined) {
      return {
        ok: false,
        kind: 'http',
        message: `Unleash at ${this.#url} sent an answer Sluice cannot read while ${doing} ${describeFlag(flag)}: is ${unleashEnv.url} the Unleash server's base URL?`,
      };
    }
    return { ok: true, view };
  }

  async #call(
    flag: FlagRef,
    doing: string,
    method: HttpRequest['method'],
    path: string,
    json?: unknown,
  ): Promise<Call> {
    const base = `${this.#url}/api/admin/projects/${encodeURIComponent(flag.project)}/features/${encodeURIComponent(flag.name)}`;
    const url = `${base}/environments/${encodeURIComponent(flag.environment)}${path}`;
    const outcome = await traceAdminRequest(this.#tracer, flag, method, url, () => {
      // The fence at the wire: a replica that lost the lease while this operation waited sends no write.
      if (method !== 'GET') this.#fence?.();
      return requestJson({ method, url, headers: { Authorization: this.#token }, json, timeoutMs: this.#timeoutMs });
    });
    if (outcome.answered && outcome.answer.status >= 200 && outcome.answer.status < 300)
      return { ok: true, body: outcome.answer.body };
    return describeFailure(flag, doing, this.#url, outcome, [this.#token]);
  }
}

/**
 * The strategies a restore removes: the one recorded, or, when none was recorded (the controller stopped between
 * adding it and writing status), the enabled ones Sluice added, found by their title.
 */
function strategiesToRemove(view: EnvironmentView, strategyId: string | undefined): StrategyView[] {
  if (strategyId !== undefined) return view.strategies.filter((s) => s.id === strategyId);
  return view.strategies.filter((s) => isSluiceStrategy(s) && !s.disabled);
}

function strategyFrom(body: unknown): StrategyView | undefined {
  const parsed = parseEnvironment({ enabled: false, strategies: [body] });
  return parsed?.strategies[0];
}

function describeState(state: FlagState): string {
  const rollout = state.rollout === undefined ? 'no gradual rollout' : `gradual rollout at ${state.rollout.percent}%`;
  return `${state.enabled ? 'enabled' : 'disabled'} with ${rollout}`;
}

/** Turns an answer that is not a success, or no answer, into a failure whose message says what to do. */
export function describeFailure(
  flag: FlagRef,
  doing: string,
  url: string,
  outcome: HttpOutcome,
  secrets: readonly string[],
): AdminFailure {
  const what = `${doing} ${describeFlag(flag)}`;
  if (!outcome.answered) {
    return {
      ok: false,
      kind: 'unreachable',
      message: `Unleash at ${url} is unreachable (${outcome.reason}) while ${what}; Sluice will retry`,
    };
  }
  const { status } = outcome.answer;
  const said = withoutSecrets(unleashMessage(outcome.answer.body, outcome.answer.text), secrets);
  const because = said === '' ? '' : `: ${said}`;
  switch (status) {
    case 401:
      return {
        ok: false,
        kind: 'auth',
        message: `Unleash refused the admin token (401) while ${what}: check the Secret behind ${unleashEnv.adminToken}`,
      };
    case 403:
      return {
        ok: false,
        kind: 'auth',
        message: `Unleash denied ${what} (403${because}): ${unleashEnv.adminToken} must be an admin API token allowed to change project ${flag.project} in environment ${flag.environment}`,
      };
    case 404:
      return {
        ok: false,
        kind: 'notFound',
        message: `Unleash found no ${describeFlag(flag)} (404${because}): create the flag in Unleash, or correct the setFlag step's name, project or environment`,
      };
    default:
      return { ok: false, kind: 'http', message: `Unleash answered ${status} while ${what}${because}` };
  }
}

/** Unleash's own explanation from an error body ({message} or {details: [{message}]}), cut short. */
function unleashMessage(body: unknown, text: string): string {
  let said = text;
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string')
    said = body.message;
  said = said.replace(/\s+/g, ' ').trim();
  return said.length > 200 ? `${said.slice(0, 199)}…` : said;
}
