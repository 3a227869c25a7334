/**
 * Leadership among coordinators that share one PostgreSQL: who is the
 * engine's single writer, under the leader lease (store/postgres/leader-lease.ts).
 *
 *   follower ──claim wins──▶ leader ──renewal refused, or not renewed in time──▶ follower
 *       ▲                                                                          │
 *       └───────────────────── claims again every renewMs ◀───────────────────────┘
 *
 * The leader renews every `renewMs`. It counts its lease from the moment it
 * sent the last successful renewal (never later than the database's own
 * start of it), and steps down `renewMs / 2` before that ends if no renewal
 * got through: a paused or cut-off leader stops writing before anyone may
 * take over. Its commits are fenced on the epoch besides, so even a write
 * that slipped past this clock is refused by the store.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { coerceError } from '../../protocol/index.js';
import type { LeaderLease, LeaseHolder } from '../../store/index.js';

export interface LeadershipOptions {
  /** This coordinator's instance id (a fresh one per process). */
  holder: string;
  /** Where this coordinator serves operators and the API. */
  url: string;
  leaseMs: number;
  renewMs: number;
  log: Logger;
}

/** Emits `elected` (epoch) and `deposed` (reason), alternately, starting with `elected`. */
export class Leadership extends EventEmitter {
  private epoch: number | null = null;
  /** performance.now() until which this leader may write. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The last holder seen: for sending operators and clients on. */
  leader: LeaseHolder | null = null;

  constructor(
    private readonly lease: LeaderLease,
    private readonly opts: LeadershipOptions,
  ) {
    super();
  }

  get isLeader(): boolean {
    return this.epoch !== null;
  }

  get currentEpoch(): number | null {
    return this.epoch;
  }

  /** The leader's URL as far as this coordinator knows (its own when it leads). */
  get leaderUrl(): string | null {
    return this.epoch !== null ? this.opts.url : (this.leader?.url ?? null);
  }

  /** Makes the first attempt (so a coordinator alone leads once this resolves), then keeps at it. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** Gives up leadership now (a failed commit): emits `deposed` and frees the lease for a follower. */
  stepDown(reason: string): void {
    const epoch = this.epoch;
    if (epoch === null) return;
    this.depose(reason);
    void this.lease.release(this.opts.holder, epoch).catch(() => undefined);
  }

  /** Reads who holds the lease now (a follower names the leader to operators and writers). */
  async refresh(): Promise<void> {
    try {
      this.leader = await this.lease.current();
    } catch (error) {
      this.opts.log.warn({ err: coerceError(error) }, 'reading the leader lease failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearTimeout(this.watchdog);
    const epoch = this.epoch;
    this.epoch = null;
    if (epoch !== null) await this.lease.release(this.opts.holder, epoch).catch(() => undefined);
    await this.lease.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.opts.renewMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const sent = performance.now();
    const epoch = this.epoch;
    try {
      if (epoch !== null) {
        const renewed = await this.lease.renew(this.opts.holder, epoch);
        if (this.epoch !== epoch) return;
        if (renewed) this.extend(sent);
        else this.depose('the lease was taken over');
        return;
      }
      const won = await this.lease.claim(this.opts.holder, this.opts.url);
      if (this.stopped) return;
      if (won) {
        this.epoch = won.epoch;
        this.leader = won;
        this.extend(sent);
        this.opts.log.info({ epoch: won.epoch }, 'elected leader');
        this.emit('elected', won.epoch);
      } else {
        this.leader = await this.lease.current();
      }
    } catch (error) {
      // The database is away: a leader keeps writing until its own clock says the lease ended (the watchdog).
      this.opts.log.warn({ err: coerceError(error) }, epoch !== null ? 'lease renewal failed' : 'lease claim failed');
    }
  }

  private extend(sent: number): void {
    this.validUntil = sent + this.opts.leaseMs;
    if (this.watchdog) clearTimeout(this.watchdog);
    const margin = this.opts.renewMs / 2;
    this.watchdog = setTimeout(
      () => this.depose('the lease could not be renewed in time'),
      Math.max(0, this.validUntil - margin - performance.now()),
    );
  }

  private depose(reason: string): void {
    if (this.epoch === null) return;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    const epoch = this.epoch;
    this.epoch = null;
    this.leader = null;
    this.opts.log.warn({ epoch, reason }, 'stepping down to follower');
    this.emit('deposed', reason);
  }
}
