/**
 * Follows a coordinator's event stream from the start and lets a test wait
 * for an event or a state, instead of sleeping.
 */
import { CortenClient, type EventStream } from '../../src/client/index.js';
import type { CortenEvent, EventMap, EventType } from '../../src/protocol/index.js';

type Waiter = { predicate: (e: CortenEvent) => boolean; resolve: (e: CortenEvent) => void };

export class EventLog {
  readonly events: CortenEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private stream: EventStream | null = null;
  private readonly client: CortenClient;

  /** Without `adminToken` it sees only what an anonymous reader may. */
  constructor(url: string, adminToken?: string) {
    this.client = new CortenClient(url, adminToken ? { adminToken } : {});
  }

  /** Starts following (or follows again after the coordinator restarted), from the last event seen. */
  async follow(): Promise<void> {
    this.stream?.close();
    const after = this.events.length > 0 ? this.events[this.events.length - 1]!.seq : 0;
    this.stream = this.client.stream({ after }, (e) => this.add(e));
    this.stream.done.catch(() => {});
    await this.stream.ready;
  }

  close(): void {
    this.stream?.close();
  }

  private add(e: CortenEvent): void {
    this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.predicate(e)) {
        this.waiters.delete(w);
        w.resolve(e);
      }
    }
  }

  of<T extends EventType>(type: T): (CortenEvent<T> & { data: EventMap[T] })[] {
    return this.events.filter((e) => e.type === type) as (CortenEvent<T> & { data: EventMap[T] })[];
  }

  /** Resolves with the first event (seen or to come) that matches. */
  waitFor(predicate: (e: CortenEvent) => boolean, what = 'event', timeoutMs = 60_000): Promise<CortenEvent> {
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what} (saw ${this.events.length} events)`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves once `count` events match. */
  async waitForCount(
    predicate: (e: CortenEvent) => boolean,
    count: number,
    what = 'events',
    timeoutMs = 120_000,
  ): Promise<void> {
    let n = this.events.filter(predicate).length;
    if (n >= count) return;
    await this.waitFor((e) => predicate(e) && ++n >= count, `${count} ${what}`, timeoutMs);
  }

  /** Resolves when every task in `ids` has a terminal event. */
  async waitForSettled(ids: readonly string[], timeoutMs = 120_000): Promise<void> {
    const wanted = new Set(ids);
    const terminal = (e: CortenEvent) =>
      (e.type === 'task.verified' || e.type === 'task.failed') && e.taskId !== null && wanted.has(e.taskId);
    const done = new Set(this.events.filter(terminal).map((e) => e.taskId));
    if (done.size >= wanted.size) return;
    await this.waitFor(
      (e) => {
        if (terminal(e)) done.add(e.taskId);
        return done.size >= wanted.size;
      },
      `${wanted.size} settled tasks`,
      timeoutMs,
    );
  }
}
