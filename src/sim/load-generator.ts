/**
 * Submits tasks at a steady rate, in batches, the way a busy developer
 * fleet would: the rate holds whatever the network does, so a fault shows up
 * as a growing backlog, not as a slower client. Each accepted batch is
 * registered with the collector, which then knows every task's input and so
 * its honest output.
 */
import type { CortenClient } from '../client/index.js';
import { coerceError } from '../protocol/index.js';
import type { EventCollector } from './event-collector.js';

/** The largest batch one request carries. */
const MAX_BATCH = 5000;
/** Submission ticks: small enough to keep the rate smooth, large enough to batch. */
const TICK_MS = 100;
/** Tries per batch before the run gives up (a batch is all or none, so a retry is safe). */
const MAX_TRIES = 5;

/** Hands out input numbers, so every task of a run has its own input. */
export class InputNumbers {
  private next = 0;

  take(count: number): number {
    const first = this.next;
    this.next += count;
    return first;
  }
}

export interface LoadSpec {
  eu: string;
  tasks: number;
  /** Tasks per second. */
  rate: number;
}

export async function submitAtRate(
  client: CortenClient,
  collector: EventCollector,
  numbers: InputNumbers,
  spec: LoadSpec,
  stopped: () => boolean = () => false,
): Promise<{ submitted: number; retries: number }> {
  const start = performance.now();
  let sent = 0;
  let retries = 0;
  while (sent < spec.tasks && !stopped()) {
    const due = Math.min(spec.tasks, Math.floor((spec.rate * (performance.now() - start)) / 1000) + 1);
    const count = Math.min(MAX_BATCH, due - sent);
    if (count <= 0) {
      await delay(Math.min(TICK_MS, ((sent + 1) / spec.rate) * 1000 - (performance.now() - start)));
      continue;
    }
    const first = numbers.take(count);
    const inputs = Array.from({ length: count }, (_, i) => ({ n: first + i }));
    for (let attempt = 1; ; attempt++) {
      try {
        const { taskIds } = await client.submitTasks(spec.eu, inputs);
        collector.register(taskIds, spec.eu, first);
        break;
      } catch (thrown) {
        if (attempt >= MAX_TRIES) throw coerceError(thrown);
        retries += 1;
        await delay(200 * attempt);
      }
    }
    sent += count;
    if (count < MAX_BATCH) await delay(TICK_MS);
  }
  return { submitted: sent, retries };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
