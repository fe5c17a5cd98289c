import { describe, expect, it } from 'vitest';
import { AnswerBudget, BudgetExhausted } from './answerBudget.ts';

const never = new AbortController().signal;
const settle = () => new Promise((r) => setImmediate(r));

describe('AnswerBudget', () => {
  // 100 bytes: answers of at most 40, one large room (40) and small rooms of 10 in the 60 left.
  const budget = () => new AnswerBudget(100, { maxAnswerBytes: 40, smallAnswerBytes: 10 });

  it('counts the bytes of answers as they grow, and records the peak', async () => {
    const b = budget();
    const a = b.open();
    await a.grow(5, never);
    await a.grow(30, never);
    const c = b.open();
    await c.grow(8, never);
    expect([b.heldBytes, a.bytes, c.bytes]).toEqual([38, 30, 8]);
    a.close();
    a.close();
    c.close();
    expect([b.heldBytes, b.peakBytes]).toEqual([0, 38]);
  });

  it('never holds more than the budget, however many answers grow at once, and every one finishes', async () => {
    const b = new AnswerBudget(100, { maxAnswerBytes: 30, smallAnswerBytes: 10 });
    const done: number[] = [];
    // Twenty answers that each grow byte by byte to 30, yielding between: a counting budget without rooms would
    // let all twenty hold part of it and wait for each other.
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const a = b.open();
        for (let size = 1; size <= 30; size++) {
          await a.grow(size, never);
          await settle();
        }
        a.close();
        done.push(i);
      }),
    );
    expect(done).toHaveLength(20);
    expect(b.peakBytes).toBeLessThanOrEqual(100);
    expect(b.heldBytes).toBe(0);
  });

  it('hands out rooms first come, first served', async () => {
    const b = new AnswerBudget(100, { maxAnswerBytes: 50, smallAnswerBytes: 50 });
    const first = b.open();
    await first.grow(50, never);
    const order: string[] = [];
    const second = b.open();
    const third = b.open();
    const waits = [
      second.grow(40, never).then(() => order.push('second')),
      third.grow(40, never).then(() => order.push('third')),
    ];
    await settle();
    expect(order).toEqual([]);
    first.close();
    await waits[0];
    expect(order).toEqual(['second']);
    second.close();
    await waits[1];
    expect(order).toEqual(['second', 'third']);
  });

  it("lets one tenant hold at most half the large rooms, so another tenant's large answer still gets one", async () => {
    // 4 large rooms of 20 (the budget keeps one room's worth for small ones).
    const b = new AnswerBudget(100, { maxAnswerBytes: 20, smallAnswerBytes: 5 });
    const noisy = Array.from({ length: 4 }, () => b.open('noisy'));
    const grants = noisy.map((a) => a.grow(20, AbortSignal.timeout(200)));
    await settle();
    const victim = b.open('shop');
    await victim.grow(20, AbortSignal.timeout(100)); // without the share, it would wait behind the noisy ones
    expect(victim.bytes).toBe(20);
    victim.close();
    const outcomes = await Promise.allSettled(grants);
    // Two of the noisy answers got rooms at once; the others waited for their share and ran out of time.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    for (const a of noisy) a.close();
    expect(b.heldBytes).toBe(0);
  });

  it('gives up when the signal aborts, holding nothing, and the line moves on', async () => {
    const b = new AnswerBudget(100, { maxAnswerBytes: 50, smallAnswerBytes: 50 });
    const holder = b.open();
    await holder.grow(50, never);
    const late = b.open();
    await expect(late.grow(20, AbortSignal.timeout(50))).rejects.toBeInstanceOf(BudgetExhausted);
    late.close();
    const next = b.open();
    const waiting = next.grow(20, never);
    holder.close();
    await waiting;
    expect(b.heldBytes).toBe(20);
  });

  it('refuses an answer larger than its largest room, and a budget too small to split', async () => {
    await expect(budget().open().grow(41, never)).rejects.toThrow(/more than an answer may be \(40\)/);
    expect(() => new AnswerBudget(1)).toThrow(/at least 2/);
    expect(new AnswerBudget(10, { maxAnswerBytes: 8 }).maxAnswerBytes).toBe(5);
  });
});
