/**
 * Waiting for a task's end from inside the coordinator: one subscription to
 * the event bus, and a waiter a task id. A request that answers with a
 * task's verdict (the OpenAI-compatible routes) registers its task here and
 * is woken by the `task.verified` or `task.failed` event, with no polling.
 *
 * A task that ended before its waiter was registered is caught by reading it
 * once after registering (`settled`), so no end is missed either way.
 */
import type { CortenEvent } from '../../protocol/index.js';
import type { EventBus } from '../engine/index.js';

export class TaskOutcomes {
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(bus: Pick<EventBus, 'subscribe'>) {
    bus.subscribe((events) => this.onEvents(events));
  }

  /** Tasks being waited on (for tests and metrics). */
  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Resolves when `taskId` has ended. `settled` reads the task once, after the waiter is in place, and says whether
   * it has ended already. `signal` (the caller went away) rejects and forgets the waiter.
   */
  wait(taskId: string, settled: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = (): void => {
        this.forget(taskId, done);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('the caller went away'));
      };
      if (signal?.aborted) {
        abort();
        return;
      }
      signal?.addEventListener('abort', abort, { once: true });
      const list = this.waiters.get(taskId) ?? [];
      list.push(done);
      this.waiters.set(taskId, list);
      settled().then(
        (ended) => {
          if (ended && this.forget(taskId, done)) done();
        },
        (error: unknown) => {
          if (!this.forget(taskId, done)) return;
          signal?.removeEventListener('abort', abort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Removes one waiter; false when it was already woken. */
  private forget(taskId: string, waiter: () => void): boolean {
    const list = this.waiters.get(taskId);
    const at = list?.indexOf(waiter) ?? -1;
    if (at < 0) return false;
    list!.splice(at, 1);
    if (list!.length === 0) this.waiters.delete(taskId);
    return true;
  }

  private onEvents(events: readonly CortenEvent[]): void {
    if (this.waiters.size === 0) return;
    for (const e of events) {
      if (e.taskId === null || (e.type !== 'task.verified' && e.type !== 'task.failed')) continue;
      const list = this.waiters.get(e.taskId);
      if (list === undefined) continue;
      this.waiters.delete(e.taskId);
      for (const waiter of list) waiter();
    }
  }
}
