/**
 * The leader lease: one row a shard in `leader_lease`, whose holder is the
 * engine's single writer for that shard. Times are the database's (`now()`),
 * so coordinators need not agree on a clock; the holder keeps its own,
 * shorter, view of when the lease ends (see coordinator/server/leadership.ts).
 *
 *   nobody ──claim──▶ holder (epoch e) ──renew…──▶ holder (epoch e)
 *                       │ stops renewing (dead, paused, cut off)
 *                       ▼ expires_at passes
 *                     another claims ──▶ holder' (epoch e + 1)
 *
 * A claim bumps the epoch (in `leader_epoch`, the fence row, apart from the
 * lease row so that renewals never wait behind commits); the old holder's
 * commits, fenced on the epoch (PostgresStore.fenceEpoch), are refused from then on. The lease has a
 * connection pool of its own with a statement timeout, so a renewal never
 * waits behind the engine's commits or hangs on a dead database for longer
 * than the lease.
 */
import type pg from 'pg';
import { LeaseKeeper } from './lease-keeper.js';
import { createPool, sessionOptions, type Raw } from './pg-pool.js';

/** $1 shard, $2 holder, $3 epoch, $4 lease ms: one row back while the holder still holds the lease. */
const RENEW_SQL = `UPDATE leader_lease SET expires_at = now() + $4 * interval '1 millisecond', renewed_at = now()
  WHERE shard = $1 AND holder = $2 AND epoch = $3 AND expires_at > now() RETURNING epoch`;

export interface LeaseHolder {
  epoch: number;
  holder: string;
  url: string;
}

export interface LeaderLeaseOptions {
  url: string;
  schema: string;
  shard: string;
  /** How long a claim or renewal lasts by the database's clock. */
  leaseMs: number;
}

export class LeaderLease {
  private readonly pool: pg.Pool;
  private readonly session: string;

  constructor(private readonly opts: LeaderLeaseOptions) {
    const pool = { url: opts.url, schema: opts.schema, max: 2, statementTimeoutMs: opts.leaseMs };
    this.pool = createPool(pool);
    this.session = sessionOptions(pool);
  }

  get shard(): string {
    return this.opts.shard;
  }

  /**
   * Takes the lease when nobody holds it, its holder's time ran out, or its
   * holder's keeper session is gone (the process died: no need to wait for
   * the lease to run out; a live holder cut off from the database for a
   * moment loses the lease, and its next commit, fenced, fails). `session`
   * names the claimer's own keeper session, connected already (null: judge
   * this holder by its expiry alone). Returns the lease when taken. The new
   * epoch goes into the fence row in the same statement, which waits for the
   * old holder's commit in flight, if any.
   */
  async claim(holder: string, url: string, session: string | null = null): Promise<LeaseHolder | null> {
    // One statement, one round trip: a claim that straddled several would start its lease at its BEGIN
    // and could hand its holder a lease already near its end.
    const rows = await this.run(
      `WITH claimed AS (
         INSERT INTO leader_lease (shard, epoch, holder, url, expires_at, renewed_at, session)
         VALUES ($1, 1, $2, $3, now() + $4 * interval '1 millisecond', now(), $5)
         ON CONFLICT (shard) DO UPDATE SET epoch = leader_lease.epoch + 1, holder = excluded.holder,
           url = excluded.url, expires_at = excluded.expires_at, renewed_at = excluded.renewed_at,
           session = excluded.session
         WHERE leader_lease.expires_at <= now() OR (leader_lease.session IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM pg_stat_activity WHERE application_name = leader_lease.session))
         RETURNING epoch, holder, url
       ), fenced AS (
         INSERT INTO leader_epoch (shard, epoch) SELECT $1, epoch FROM claimed
         ON CONFLICT (shard) DO UPDATE SET epoch = excluded.epoch
       )
       SELECT epoch, holder, url FROM claimed`,
      [this.opts.shard, holder, url, this.opts.leaseMs, session],
    );
    return rows[0] ? holderOf(rows[0]) : null;
  }

  /** Extends the holder's lease at `epoch`, while it still holds it; false when it no longer does. */
  async renew(holder: string, epoch: number): Promise<boolean> {
    const rows = await this.run(RENEW_SQL, [this.opts.shard, holder, epoch, this.opts.leaseMs]);
    return rows.length === 1;
  }

  /** Renewals on a thread of their own (lease-keeper.ts), every `renewMs`. */
  keeper(holder: string, renewMs: number, onWarn: (message: string) => void): LeaseKeeper {
    const applicationName = `corten-lease-${holder}`;
    return new LeaseKeeper(
      { ...this.opts, renewMs, sql: RENEW_SQL, sessionOptions: this.session, applicationName },
      onWarn,
    );
  }

  /** Gives the lease up at once (a clean stop), so a follower need not wait for it to expire. */
  async release(holder: string, epoch: number): Promise<void> {
    await this.run(`UPDATE leader_lease SET expires_at = now() WHERE shard = $1 AND holder = $2 AND epoch = $3`, [
      this.opts.shard,
      holder,
      epoch,
    ]);
  }

  /**
   * Who holds the lease now, or null when nobody ever did; `live` is false once
   * it expired or its holder's keeper session is gone (the holder died).
   */
  async current(): Promise<(LeaseHolder & { live: boolean }) | null> {
    const rows = await this.run(
      `SELECT epoch, holder, url, expires_at > now() AND (session IS NULL OR EXISTS
         (SELECT 1 FROM pg_stat_activity WHERE application_name = session)) AS live
       FROM leader_lease WHERE shard = $1`,
      [this.opts.shard],
    );
    return rows[0] ? { ...holderOf(rows[0]), live: rows[0].live === true } : null;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async run(text: string, values: unknown[]): Promise<Raw[]> {
    return (await this.pool.query<Raw>(text, values)).rows;
  }
}

function holderOf(row: Raw): LeaseHolder {
  return { epoch: row.epoch as number, holder: row.holder as string, url: row.url as string };
}
