/**
 * Views the leader writes for followers (migration 008): a JSON body a
 * name, replaced whole. A write is fenced on the writer's epoch, so a
 * deposed leader that wakes up late cannot put its stale view back.
 */
import type { Query } from './pg-pool.js';

export interface LeaderView {
  /** The epoch of the leader that wrote it. */
  epoch: number;
  body: string;
  /** ms on the writing leader's clock. */
  writtenAt: number;
}

export class LeaderViews {
  constructor(private readonly query: Query) {}

  /** Replaces view `name`, if the lease of `shard` is still at `epoch`; false when it is not. */
  async write(name: string, fence: { shard: string; epoch: number }, body: string, at: number): Promise<boolean> {
    const rows = await this.query(
      `INSERT INTO leader_views (name, epoch, body, written_at)
       SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM leader_epoch WHERE shard = $5 AND epoch = $2)
       ON CONFLICT (name) DO UPDATE SET epoch = excluded.epoch, body = excluded.body, written_at = excluded.written_at
       RETURNING 1`,
      [name, fence.epoch, body, at, fence.shard],
    );
    return rows.length === 1;
  }

  async read(name: string): Promise<LeaderView | undefined> {
    const [row] = await this.query('SELECT epoch, body, written_at FROM leader_views WHERE name = $1', [name]);
    return row
      ? { epoch: row.epoch as number, body: row.body as string, writtenAt: row.written_at as number }
      : undefined;
  }
}
