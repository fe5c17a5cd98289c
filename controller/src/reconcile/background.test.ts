import { describe, expect, it } from 'vitest';
import { BackgroundWork, type BackgroundTask } from './background.ts';

const tick = () => new Promise((r) => setImmediate(r));

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function work(
  options: { concurrency?: number; perNamespace?: number; maxWaiting?: number; maxOutcomes?: number } = {},
) {
  const woken: string[] = [];
  const bg = new BackgroundWork<string>({ concurrency: 4, perNamespace: 2, ...options, wake: (k) => woken.push(k) });
  return { bg, woken };
}

function task(
  key: string,
  id: string,
  run: BackgroundTask<string>['run'],
  more: Partial<BackgroundTask<string>> = {},
): BackgroundTask<string> {
  return {
    key,
    id,
    namespace: key.split('/')[0]!,
    deadlineMs: 5_000,
    run,
    onFailure: (why) => `failed: ${why}`,
    ...more,
  };
}

describe('BackgroundWork', () => {
  it('runs a task once however often it is asked, keeps its outcome and wakes the key', async () => {
    const { bg, woken } = work();
    let runs = 0;
    const t = task('a/r', 'm1', () => Promise.resolve(`value ${++runs}`));
    bg.submit(t);
    bg.submit(t);
    expect(bg.state('a/r', 'm1')?.kind).toBe('running');
    await tick();
    bg.submit(t);
    expect(runs).toBe(1);
    expect(bg.state('a/r', 'm1')).toMatchObject({ kind: 'done', value: 'value 1' });
    expect(woken).toEqual(['a/r']);
  });

  it('ends a task at its deadline with the failure outcome, and wakes the key then', async () => {
    const { bg, woken } = work();
    bg.submit(task('a/r', 'hang', () => new Promise(() => {}), { deadlineMs: 20 }));
    await new Promise((r) => setTimeout(r, 60));
    expect(bg.state('a/r', 'hang')).toMatchObject({ kind: 'done', value: 'failed: no outcome within 0 s' });
    expect(woken).toEqual(['a/r']);
  });

  it('turns a throwing task into its failure outcome', async () => {
    const { bg } = work();
    bg.submit(
      task('a/r', 'x', () => {
        throw new Error('boom');
      }),
    );
    await tick();
    expect(bg.state('a/r', 'x')).toMatchObject({ kind: 'done', value: 'failed: boom' });
  });

  it('runs the tasks of one lane one at a time, in order, even past a deadline', async () => {
    const { bg } = work();
    const first = deferred<string>();
    const order: string[] = [];
    bg.submit(
      task(
        'a/r',
        'set',
        async () => {
          order.push('set starts');
          const v = await first.promise;
          order.push('set ends');
          return v;
        },
        { lane: 'flag', deadlineMs: 10 },
      ),
    );
    bg.submit(
      task(
        'a/r',
        'restore',
        () => {
          order.push('restore');
          return Promise.resolve('ok');
        },
        { lane: 'flag' },
      ),
    );
    await new Promise((r) => setTimeout(r, 40));
    // The set is past its deadline, but has not ended: the restore must not overtake it.
    expect(bg.state('a/r', 'set')?.kind).toBe('done');
    expect(order).toEqual(['set starts']);
    first.resolve('late');
    await tick();
    await tick();
    expect(order).toEqual(['set starts', 'set ends', 'restore']);
  });

  it('keeps one namespace from taking every slot, and serves namespaces in turn', async () => {
    const { bg } = work({ concurrency: 4, perNamespace: 2 });
    const started: string[] = [];
    const hang = () => new Promise<string>(() => {});
    for (let i = 0; i < 10; i++) bg.submit(task(`a/r${i}`, 'm', () => (started.push(`a${i}`), hang())));
    bg.submit(task('b/r', 'm', () => (started.push('b'), Promise.resolve('done'))));
    await tick();
    expect(started).toEqual(['a0', 'a1', 'b']);
    expect(bg.state('b/r', 'm')?.kind).toBe('done');
  });

  it('retries a task once its outcome is forgotten', async () => {
    const { bg } = work();
    let runs = 0;
    const t = task('a/r', 'm', () => Promise.resolve(`run ${++runs}`));
    bg.submit(t);
    await tick();
    bg.forget('a/r', 'm');
    bg.submit(t);
    await tick();
    expect(bg.state('a/r', 'm')).toMatchObject({ value: 'run 2' });
  });

  it("sheds load past a namespace's share of the waiting line with a failure outcome instead of growing", () => {
    const { bg } = work({ concurrency: 1, perNamespace: 1, maxWaiting: 8 });
    const hang = () => new Promise<string>(() => {});
    for (let i = 0; i < 5; i++) bg.submit(task(`a/r${i}`, 'm', hang));
    expect(bg.waiting).toBe(2);
    expect(bg.state('a/r4', 'm')).toMatchObject({
      kind: 'done',
      value: expect.stringContaining('namespace a has 2 tasks waiting already') as string,
    });
  });

  it("never sheds another namespace's task because one namespace filled the line", () => {
    const { bg } = work({ concurrency: 4, perNamespace: 2, maxWaiting: 8 });
    const hang = () => new Promise<string>(() => {});
    for (let i = 0; i < 10; i++) bg.submit(task('noisy/r', `m${i}`, hang));
    bg.submit(task('victim/r', 'm0', hang));
    expect(bg.state('victim/r', 'm0')?.kind).toBe('running');
    expect(bg.state('noisy/r', 'm9')?.kind).toBe('done');
  });

  it('forgets the oldest outcomes past maxOutcomes', async () => {
    const { bg } = work({ maxOutcomes: 3 });
    for (let i = 0; i < 5; i++) bg.submit(task('a/r', `m${i}`, () => Promise.resolve('v')));
    await tick();
    expect(bg.state('a/r', 'm0')).toBeUndefined();
    expect(bg.state('a/r', 'm4')?.kind).toBe('done');
  });

  it('drops waiting tasks on close and takes no more', async () => {
    const { bg } = work({ concurrency: 1, perNamespace: 1 });
    let ran = 0;
    bg.submit(task('a/r', 'one', () => new Promise(() => {})));
    bg.submit(task('a/r', 'two', () => Promise.resolve(`${++ran}`)));
    bg.close();
    bg.submit(task('a/r', 'three', () => Promise.resolve(`${++ran}`)));
    await tick();
    expect(ran).toBe(0);
    expect(bg.waiting).toBe(0);
    expect(bg.state('a/r', 'three')).toBeUndefined();
  });
});
