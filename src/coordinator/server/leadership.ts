/**
 * Leadership among coordinators that share one PostgreSQL: who is the
 * engine's single writer, under the leader lease (store/postgres/leader-lease.ts).
 *
 *   follower ──claim wins──▶ leader ──renewal refused, or not renewed in time──▶ follower
 *       ▲                                                                          │
 *       └──────────────── claims again every CLAIM_MS (≤ renewMs) ◀────────────────┘
 *
 * A claim wins when the lease expired or when its holder's keeper session
 * is gone from the database (the holder died): a kill -9 is taken over
 * within a claim interval, a pause only once the lease runs out.
 *
 * The leader renews every `renewMs` from a thread of its own
 * (store/postgres/lease-keeper.ts), so a turn that keeps the event loop busy
 * for seconds does not cost it the lease. It counts its lease from the moment
 * it sent the last successful renewal (never later than the database's own
 * start of it), and a watchdog on the event loop steps it down `renewMs / 2`
 * before that ends if no renewal got through: a paused or cut-off leader
 * stops writing before anyone may take over. Its commits are fenced on the
 * epoch besides, so even a write that slipped past this clock is refused by
 * the store.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { coerceError } from '../../protocol/index.js';
import type { LeaderLease, LeaseHolder, LeaseKeeper } from '../../store/index.js';

/**
 * How often a follower tries to take the lease: a leader that died is seen
 * at once (its keeper session is gone), so this wait is most of what
 * detecting the death costs. A try is one short transaction.
 */
const CLAIM_MS = 200;

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
  private readonly keeper: LeaseKeeper;
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The last holder seen: for sending operators and clients on. */
  leader: (LeaseHolder & { live?: boolean }) | null = null;

  constructor(
    private readonly lease: LeaderLease,
    private readonly opts: LeadershipOptions,
  ) {
    super();
    this.keeper = lease.keeper(opts.holder, opts.renewMs, (message) =>
      opts.log.warn({ message }, 'lease renewal failed'),
    );
  }

  get isLeader(): boolean {
    return this.epoch !== null;
  }

  get currentEpoch(): number | null {
    return this.epoch;
  }

  /**
   * The leader's URL as far as this coordinator knows (its own when it leads);
   * null while the last holder seen is dead or expired, so that operators and
   * clients are not sent to a coordinator that is gone.
   */
  get leaderUrl(): string | null {
    if (this.epoch !== null) return this.opts.url;
    return this.leader?.live === false ? null : (this.leader?.url ?? null);
  }

  /** Makes the first attempt (so a coordinator alone leads once this resolves), then keeps at it. */
  async start(): Promise<void> {
    // The first claim names the keeper's session, so that this leader's death is seen at once; a database
    // slow to answer delays it by one lease at most.
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.keeper.ready,
      new Promise((resolve) => (waited = setTimeout(resolve, this.opts.leaseMs))),
    ]);
    clearTimeout(waited);
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
    if (this.watchdog) clearInterval(this.watchdog);
    const epoch = this.epoch;
    this.epoch = null;
    await this.keeper.close();
    if (epoch !== null) await this.lease.release(this.opts.holder, epoch).catch(() => undefined);
    await this.lease.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.tick().finally(() => this.schedule());
      },
      Math.min(this.opts.renewMs, CLAIM_MS),
    );
  }

  /** A follower's attempt to take the lease (a leader's renewals are the keeper's). */
  private async tick(): Promise<void> {
    if (this.stopped || this.epoch !== null) return;
    const sent = performance.now();
    try {
      const won = await this.lease.claim(this.opts.holder, this.opts.url, this.keeper.session);
      if (this.stopped) return;
      if (won) {
        this.epoch = won.epoch;
        this.leader = won;
        this.keeper.keep(this.opts.holder, won.epoch, sent);
        this.watch();
        this.opts.log.info({ epoch: won.epoch }, 'elected leader');
        this.emit('elected', won.epoch);
      } else {
        this.leader = await this.lease.current();
      }
    } catch (error) {
      this.opts.log.warn({ err: coerceError(error) }, 'lease claim failed');
    }
  }

  /**
   * Four times a renewal interval: tells the keeper this loop runs, and steps
   * down when a renewal was refused or none got through in time. A check that
   * runs late (a long turn) reads the keeper's latest renewal, not a stale one.
   */
  private watch(): void {
    const margin = this.opts.renewMs / 2;
    this.watchdog = setInterval(() => {
      this.keeper.stamp();
      if (this.keeper.lost) this.depose('the lease was taken over');
      else if (performance.now() >= this.keeper.validUntil - margin) {
        this.depose('the lease could not be renewed in time');
      }
    }, this.opts.renewMs / 4);
  }

  private depose(reason: string): void {
    if (this.epoch === null) return;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.keeper.drop();
    const epoch = this.epoch;
    this.epoch = null;
    this.leader = null;
    this.opts.log.warn({ epoch, reason }, 'stepping down to follower');
    this.emit('deposed', reason);
  }
}
