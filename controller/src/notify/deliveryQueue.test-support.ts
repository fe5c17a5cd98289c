/** The delivery queue's test harness (deliveryQueue.test.ts, notifications.review.test.ts): items and a scripted receiver. */
import { DeliveryQueue, type DeliveryQueueOptions, type DropReason } from './deliveryQueue.ts';
import type { SendOutcome } from './send.ts';

export interface Item {
  namespace: string;
  key: string;
  target: string;
}
export const item = (namespace: string, key: string, target = 'hook'): Item => ({ namespace, key, target });

/** A queue whose receiver answers with `answer`; records each attempt's time and every drop. */
export function harness(
  answer: (d: Item, attempt: number) => SendOutcome | Promise<SendOutcome>,
  options: Partial<DeliveryQueueOptions<Item>> = {},
) {
  const attempts: { key: string; at: number }[] = [];
  const delivered: string[] = [];
  const dropped: [string, DropReason][] = [];
  const queue = new DeliveryQueue<Item>({
    send: async (d, attempt) => {
      attempts.push({ key: d.key, at: Date.now() });
      return answer(d, attempt);
    },
    onDelivered: (d) => delivered.push(d.key),
    onDropped: (d, reason) => dropped.push([d.key, reason]),
    random: () => 0.5,
    ...options,
  });
  return { queue, attempts, delivered, dropped };
}

export const ok: SendOutcome = { kind: 'delivered', status: 200 };
