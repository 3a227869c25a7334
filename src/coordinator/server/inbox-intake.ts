/**
 * The leader's side of the inbox (store/postgres/inbox.ts): woken by a
 * follower's NOTIFY, and once when it starts leading, it takes in every
 * submission waiting there, oldest first, each in the commit that creates
 * its tasks. One reader at a time, and a row is never handed to the engine
 * twice by the same leader.
 */
import type { Logger } from 'pino';
import { coerceError } from '../../protocol/index.js';
import type { EventListener, PostgresStore } from '../../store/index.js';
import type { Engine } from '../engine/index.js';
import type { EuRegistry } from '../memory/index.js';
import { CoalescingWake } from './coalescing-wake.js';

/** Rows read a query. */
const PAGE = 500;

export class InboxIntake {
  private listener: EventListener | null = null;
  private stopped = false;
  private readonly taken = new Set<number>();
  private readonly reader = new CoalescingWake(
    () => this.takeIn(),
    (error) => this.log.warn({ err: coerceError(error) }, 'taking in the inbox failed'),
  );

  constructor(
    private readonly store: PostgresStore,
    private readonly engine: Engine,
    private readonly eus: EuRegistry,
    private readonly log: Logger,
  ) {}

  /** Starts listening; the first wake-up (on connect) takes in what waits already. */
  async start(): Promise<void> {
    this.listener = this.store.listenInbox(
      () => this.reader.wake(),
      (error) => this.log.warn({ err: coerceError(error) }, 'inbox listener lost its connection'),
    );
    await this.listener.ready;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reader.stop();
    await this.listener?.stop();
  }

  private async takeIn(): Promise<void> {
    for (;;) {
      const rows = (await this.store.inbox.read(PAGE)).filter((r) => !this.taken.has(r.id));
      if (rows.length === 0 || this.stopped) return;
      const turns: Promise<unknown>[] = [];
      for (const row of rows) {
        const eu = this.eus.get(row.euId);
        if (!eu) {
          this.log.error({ inboxId: row.id, euId: row.euId }, 'an inbox submission names an EU this leader lacks');
          this.taken.add(row.id);
          continue;
        }
        this.taken.add(row.id);
        turns.push(this.engine.takeIn(eu, row.inputs, row.owner, row.accountId, row.taskIds, row.id));
      }
      // The submissions share turns; a failure here means the engine stopped (this leader stepped down).
      await Promise.all(turns);
    }
  }
}
