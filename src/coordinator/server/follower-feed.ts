/**
 * A follower's view of the event log: woken by LISTEN/NOTIFY (a wake-up
 * without payload), it reads the events after the last one it published, by
 * seq, and publishes them on the coordinator's bus, so the SSE stream, the
 * counters and the EU registry of a follower follow the leader's commits.
 * Seqs are handed out in commit order (store/postgres), so reading "after
 * the last seq seen" misses nothing and repeats nothing.
 */
import type { Logger } from 'pino';
import { coerceError, type CortenEvent } from '../../protocol/index.js';
import type { EventListener, PostgresStore } from '../../store/index.js';
import type { EventBus } from '../engine/index.js';
import { CoalescingWake } from './coalescing-wake.js';

/** Events read a query; a backlog is read in pages of this size. */
const PAGE = 2000;

export class FollowerFeed {
  private listener: EventListener | null = null;
  // The listener wakes the reader again when its connection comes back.
  private readonly reader = new CoalescingWake(
    () => this.readAll(),
    (error) => this.log.warn({ err: coerceError(error) }, 'reading the event log failed'),
  );

  constructor(
    private readonly store: PostgresStore,
    private readonly bus: EventBus,
    private readonly onEvents: (events: readonly CortenEvent[]) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.listener = this.store.listen(
      () => this.reader.wake(),
      (error) => this.log.warn({ err: coerceError(error) }, 'event listener lost its connection'),
    );
    await this.listener.ready;
  }

  /** Stops listening; waits for a read in progress. */
  async stop(): Promise<void> {
    await this.reader.stop();
    await this.listener?.stop();
  }

  /** Reads and publishes everything committed so far (after stop, before this coordinator writes). */
  async drain(): Promise<void> {
    await this.reader.idle();
    await this.readAll();
  }

  private async readAll(): Promise<void> {
    for (;;) {
      const events = await this.store.listEvents({ after: this.bus.seq, limit: PAGE });
      if (events.length === 0) return;
      await this.onEvents(events);
      this.bus.publish(events);
      if (events.length < PAGE) return;
    }
  }
}
