/** The demo's terminal timeline: elapsed time, then what happened, one line per change of the rollout. */
import type { Rollout } from '../../controller/src/api/types.ts';
import type { DemoGateway } from './gateway.ts';

export class Timeline {
  readonly #start = Date.now();

  #stamp(): string {
    return `[${((Date.now() - this.#start) / 1000).toFixed(1).padStart(6)}s]`;
  }

  say(text: string): void {
    console.log(`${this.#stamp()} ${text}`);
  }

  headline(text: string): void {
    console.log(`\n${this.#stamp()} === ${text} ===`);
  }

  /** Prints a line whenever the rollout's phase, step, weights or message change. */
  follow(read: () => Promise<Rollout>, gateway: DemoGateway): { stop: () => void } {
    let last = '';
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      const r = await read().catch(() => undefined);
      const s = r?.status;
      if (s !== undefined) {
        const total = r!.spec.strategy.canary!.steps.length;
        const step = s.currentStepIndex === undefined ? '-' : `${Math.min(s.currentStepIndex + 1, total)}/${total}`;
        const line = `${(s.phase ?? '').padEnd(11)} step ${step}  canary ${String(s.weights?.canary ?? 0).padStart(3)}%  ${s.message ?? ''}`;
        if (line !== last) {
          this.say(`${line}  (gateway: canary ${gateway.sent.canary} req, ${gateway.sent.errors.canary} errors)`);
          last = line;
        }
      }
      setTimeout(() => void tick(), 250);
    };
    void tick();
    return {
      stop: () => {
        stopped = true;
      },
    };
  }
}
