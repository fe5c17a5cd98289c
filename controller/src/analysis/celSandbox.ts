/**
 * Evaluates conditions off the controller's event loop, each under a deadline. CEL has no cost limit at run time
 * (see celProgram.ts), and a condition runs on data nobody has seen yet, so a cheap-looking expression over a
 * large result may run for a minute; on the event loop that would stall every reconcile, the leader lease renewal
 * and /healthz. Here it runs in one worker thread; a run past its deadline ends the worker (the only way to stop
 * synchronous JavaScript) and the next request starts a fresh one. Requests are served one at a time, in order.
 */
import { Worker } from 'node:worker_threads';
import type { CelValue, Evaluated } from './celProgram.ts';
import type { CelRequest } from './celWorker.ts';

/** An evaluation that went over its budget: ended, not failed. */
export interface OverBudget {
  overBudget: string;
}

export interface CelSandboxOptions {
  /** How long one evaluation may run in the worker. Default 250 ms. */
  deadlineMs?: number;
  /** The worker's heap: a condition that builds huge lists ends the worker, not the controller. Default 64 MiB. */
  maxHeapMb?: number;
}

interface Job {
  request: Omit<CelRequest, 'id'>;
  resolve: (outcome: Evaluated | OverBudget) => void;
}

// The source runs as .ts (node with type stripping, vitest) and the build as .js; the worker file follows suit.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './celWorker.ts' : './celWorker.js', import.meta.url);

export class CelSandbox {
  readonly #deadlineMs: number;
  readonly #maxHeapMb: number;
  readonly #jobs: Job[] = [];
  #worker: Promise<Worker> | undefined;
  #busy = false;
  #nextId = 0;
  /** How many workers were ended for overrunning; for tests and metrics. */
  overruns = 0;

  constructor(options: CelSandboxOptions = {}) {
    this.#deadlineMs = options.deadlineMs ?? 250;
    this.#maxHeapMb = options.maxHeapMb ?? 64;
  }

  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /** Evaluates `expression` with `result` in the worker. Never rejects. */
  evaluate(expression: string, result: CelValue): Promise<Evaluated | OverBudget> {
    return new Promise((resolve) => {
      this.#jobs.push({ request: { expression, result }, resolve });
      this.#next();
    });
  }

  /** Ends the worker; pending and later requests start a new one. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await (await worker?.catch(() => undefined))?.terminate();
  }

  /** Starts a worker and resolves once it has loaded, so that its start-up never counts against a deadline. */
  #spawn(): Promise<Worker> {
    const worker = new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb } });
    // An idle evaluator must not keep the process alive at shutdown.
    worker.unref();
    return new Promise((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`it exited with code ${code} while loading`));
      const onReady = (message: unknown): void => {
        if ((message as { ready?: boolean }).ready !== true) return;
        worker.off('error', reject);
        worker.off('exit', onExit);
        worker.off('message', onReady);
        resolve(worker);
      };
      worker.on('message', onReady);
      worker.once('error', reject);
      worker.once('exit', onExit);
    });
  }

  #next(): void {
    if (this.#busy) return;
    const job = this.#jobs.shift();
    if (job === undefined) return;
    this.#busy = true;
    void this.#run(job).then((outcome) => {
      this.#busy = false;
      job.resolve(outcome);
      this.#next();
    });
  }

  async #run(job: Job): Promise<Evaluated | OverBudget> {
    let worker: Worker;
    try {
      worker = await (this.#worker ??= this.#spawn());
    } catch (err) {
      this.#worker = undefined;
      return { error: `the condition evaluator could not start: ${err instanceof Error ? err.message : String(err)}` };
    }
    const id = this.#nextId++;
    const { outcome, endWorker } = await new Promise<{ outcome: Evaluated | OverBudget; endWorker: boolean }>(
      (resolve) => {
        const finish = (outcome: Evaluated | OverBudget, endWorker: boolean): void => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          resolve({ outcome, endWorker });
        };
        const onMessage = (answer: { id: number } & Evaluated): void => {
          if (answer.id !== id) return;
          const { id: _, ...evaluated } = answer;
          finish(evaluated, false);
        };
        const onError = (err: Error): void => {
          if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
            this.overruns++;
            finish({ overBudget: `it needed more than ${this.#maxHeapMb} MiB of memory` }, true);
          } else {
            finish({ error: `the condition evaluator failed: ${err.message}` }, true);
          }
        };
        const onExit = (): void => finish({ error: 'the condition evaluator stopped unexpectedly' }, true);
        const timer = setTimeout(() => {
          this.overruns++;
          finish({ overBudget: `it ran longer than ${this.#deadlineMs} ms` }, true);
        }, this.#deadlineMs);
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        worker.postMessage({ id, ...job.request } satisfies CelRequest);
      },
    );
    if (endWorker) {
      // The only way to stop synchronous JavaScript; the next request starts a fresh worker.
      this.#worker = undefined;
      void worker.terminate();
    }
    return outcome;
  }
}
