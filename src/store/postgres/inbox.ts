/**
 * The inbox: submissions a follower accepted while it was not the leader,
 * durable from the moment `add` returns. The leader reads them in id order
 * and takes each in with the commit that creates its tasks (the
 * `inbox.delete` change), so a row is taken in exactly once even across a
 * takeover: a leader that dies before its commit leaves the row for the next.
 */
import type { Query } from './pg-pool.js';

export interface InboxRow {
  id: number;
  euId: string;
  owner: string;
  /** The account that pays for a priced EU (escrowed when the leader takes the row in). */
  accountId: string | null;
  /** The inputs as the follower checked them: JSON text and hash of each. */
  inputs: { text: string; hash: string }[];
  /** The task ids the submitter was given. */
  taskIds: string[];
  receivedAt: number;
  receivedBy: string;
}

export class Inbox {
  constructor(
    private readonly query: Query,
    private readonly channel: string,
  ) {}

  /** Stores a submission and wakes the leader; returns once it is committed. */
  async add(row: Omit<InboxRow, 'id'>): Promise<number> {
    const [inserted] = await this.query(
      `WITH row AS (
         INSERT INTO inbox (eu_id, owner, account_id, inputs, task_ids, received_at, received_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)
       SELECT id, pg_notify($8, '') FROM row`,
      [
        row.euId,
        row.owner,
        row.accountId,
        JSON.stringify(row.inputs),
        JSON.stringify(row.taskIds),
        row.receivedAt,
        row.receivedBy,
        this.channel,
      ],
    );
    return inserted!.id as number;
  }

  /** The oldest rows not yet taken in. */
  async read(limit: number): Promise<InboxRow[]> {
    const rows = await this.query('SELECT * FROM inbox ORDER BY id LIMIT $1', [limit]);
    return rows.map((r) => ({
      id: r.id as number,
      euId: r.eu_id as string,
      owner: r.owner as string,
      accountId: (r.account_id as string | null) ?? null,
      inputs: JSON.parse(r.inputs as string) as { text: string; hash: string }[],
      taskIds: JSON.parse(r.task_ids as string) as string[],
      receivedAt: r.received_at as number,
      receivedBy: r.received_by as string,
    }));
  }
}
