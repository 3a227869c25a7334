/**
 * The networked backend: PostgreSQL through `pg`, one schema a network. It
 * behaves as the SQLite store does (the Store contract suite runs on both):
 * a commit is one transaction, its events numbered without gaps in commit
 * order, an assignment update lands only under its lease fence.
 *
 * Several coordinators may share the schema; one of them is the leader and
 * the only writer of the engine's state. Once `fenceEpoch` is set, each commit
 * first reads the leader lease's epoch FOR SHARE in the same transaction: a
 * commit of a deposed leader fails with STALE_EPOCH and writes nothing, and a
 * takeover (which updates that row) waits for a commit in flight to end.
 * Every commit with events wakes the listeners of other coordinators with a
 * NOTIFY without payload; they then read the log by seq.
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { CortenError, type CortenEvent } from '../../protocol/index.js';
import type { ChangeSet } from '../change-set.js';
import { loadMigrations } from '../migrations.js';
import type {
  AssignmentRow,
  AssignmentStatus,
  EuRow,
  EventFilter,
  OperatorRow,
  RegionRow,
  TaskCounts,
  TaskFilter,
  TaskRow,
  TaskStatus,
} from '../rows.js';
import {
  assignmentFromRaw,
  euFromRaw,
  eventFromRaw,
  operatorFromRaw,
  regionFromRaw,
  taskFromRaw,
} from '../sqlite-mapping.js';
import type { Store } from '../store.js';
import { OPERATOR_WALK_THRESHOLD, taskWhere, type SearchPlan } from '../task-search.js';
import { coreWrite } from './core-writes.js';
import { EventListener } from './event-listener.js';
import { Inbox } from './inbox.js';
import { LeaderLease } from './leader-lease.js';
import { LeaderViews } from './leader-views.js';
import { createPool, type Query, type Raw } from './pg-pool.js';
import { PostgresTrust } from './postgres-trust.js';
import { PostgresWebhooks, webhookWrite } from './postgres-webhooks.js';
import { PostgresWorkflows, workflowWrite } from './postgres-workflows.js';
import { trustWrite } from './trust-writes.js';
import { staleFence, zeroStatusCounts } from '../store-errors.js';
import { checkOf, planStatements, sendPipelined, type Check, type Statement, type Write } from './write-plan.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations-postgres/', import.meta.url));

const TASK_COLUMNS_NO_INPUT =
  'id, eu_id, status, input_hash, seed, clock, quorum, max_replicas, replicas, attempts, output_hash, ' +
  'result_assignment_id, failure, failure_message, submitted_at, updated_at, finished_at, owner';

/** The areas of the store, each turning its own changes into writes (a new area adds a file and a line here). */
const AREAS: readonly ((change: ChangeSet['changes'][number]) => Write | undefined)[] = [
  coreWrite,
  trustWrite,
  webhookWrite,
  workflowWrite,
];

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** The schema that holds this network's tables (created by migrate()). */
  schema: string;
  /** Open an existing store for reading only: every write fails, a schema without a store is NO_DATA. */
  readonly?: boolean;
  /** See PoolOptions.idleInTransactionMs: a coordinator sets its leader lease here. */
  idleInTransactionMs?: number;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly trust: PostgresTrust;
  readonly webhooks: PostgresWebhooks;
  readonly workflows: PostgresWorkflows;
  private readonly pool: pg.Pool;
  private readonly url: string;
  private epoch: { shard: string; epoch: number } | null = null;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.url = options.url;
    this.schema = options.schema;
    this.pool = createPool({
      url: options.url,
      schema: options.schema,
      readonly: options.readonly === true,
      idleInTransactionMs: options.idleInTransactionMs ?? 10_000,
      pipeline: true,
    });
    this.trust = new PostgresTrust(this.query);
    this.webhooks = new PostgresWebhooks(this.query);
    this.workflows = new PostgresWorkflows(this.query);
  }

  /** Opens a store; a read-only one must find a migrated schema (NO_DATA otherwise). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    if (options.readonly) {
      const [row] = await store.query('SELECT to_regclass($1) AS t', [`${options.schema}.schema_migrations`]);
      if (!row?.t) {
        await store.close();
        throw new CortenError('NO_DATA', `schema ${options.schema} holds no coordinator data (no corten schema)`);
      }
    }
    return store;
  }

  /** Runs one statement on a pooled connection. */
  readonly query: Query = async (text, values) => {
    try {
      const result = await this.pool.query<Raw>(text, values as unknown[] | undefined);
      return result.rows;
    } catch (error) {
      throw unavailable(error) ?? error;
    }
  };

  /**
   * From now on every commit checks that the lease of `shard` is still at
   * `epoch` (null: no check, for a coordinator alone on its schema).
   */
  fenceEpoch(fence: { shard: string; epoch: number } | null): void {
    this.epoch = fence;
  }

  /** The pool's connection string and schema, for the leader lease and the event listener. */
  get place(): { url: string; schema: string } {
    return { url: this.url, schema: this.schema };
  }

  /** The leader lease of `shard` on this store's schema. */
  leaderLease(shard: string, leaseMs: number): LeaderLease {
    return new LeaderLease({ url: this.url, schema: this.schema, shard, leaseMs });
  }

  /** Submissions followers accepted, for the leader to take in. */
  get inbox(): Inbox {
    return new Inbox(this.query, `${this.schema}_inbox`);
  }

  /** What the leader writes for followers to serve (operators, regions, stats). */
  get leaderViews(): LeaderViews {
    return new LeaderViews(this.query);
  }

  /** Wakes `onWake` whenever a follower adds to the inbox. */
  listenInbox(onWake: () => void, onError: (error: unknown) => void): EventListener {
    return new EventListener(this.url, `${this.schema}_inbox`, onWake, onError);
  }

  /** Wakes `onWake` after each commit with events, from any coordinator on this schema. */
  listen(onWake: () => void, onError: (error: unknown) => void): EventListener {
    return new EventListener(this.url, this.channel, onWake, onError);
  }

  private get channel(): string {
    return `${this.schema}_events`;
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Coordinators starting at once take turns: the second finds every migration recorded and skips.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`corten.migrate.${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      for (const migration of loadMigrations(MIGRATIONS_DIR)) {
        if (done.has(migration.version)) continue;
        // The ledger row first, as graphile-worker does: the migration and its record commit together.
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        await client.query(migration.sql);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async commit(changes: ChangeSet): Promise<CortenEvent[]> {
    const writes: Write[] = [];
    const events: CortenEvent[] = [];
    for (const change of changes.changes) {
      if (change.op === 'event') {
        const e = change.event as CortenEvent;
        // An event whose owner was never decided is kept for the admin: a gap in the rules must not make it public.
        if (e.owner === undefined) e.owner = 'network';
        events.push(e);
        continue;
      }
      const write = writeOf(change);
      if (!write) throw new Error(`the PostgreSQL store cannot write ${change.op}`);
      writes.push(write);
    }
    // One round trip: the whole transaction is written before any answer is read (write-plan.ts).
    const statements: Statement[] = [BEGIN];
    if (this.epoch) statements.push(epochCheck(this.epoch));
    statements.push(...planStatements(writes));
    const counter = statements.length;
    if (events.length > 0) statements.push(...this.eventStatements(events));
    statements.push(COMMIT);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(error) ?? error;
    }
    let broken: Error | boolean | undefined;
    // The database may end the session while it is checked out (a restart, the idle-in-transaction
    // timeout): the error then surfaces on the next query; unheard, it would end the process.
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      const results = await sendPipelined(client, statements);
      if (events.length > 0) {
        const first = (results[counter]!.rows[0] as { seq: number }).seq - events.length + 1;
        events.forEach((e, i) => (e.seq = first + i));
      }
      return events;
    } catch (error) {
      // The COMMIT behind a failed statement rolled back; a connection cut mid-pipeline is thrown away.
      broken ??= true;
      const down = unavailable(error);
      if (down) throw down;
      const check = checkOf(error);
      throw check ? await this.checkFailed(check, this.epoch) : error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** The error of a commit that stopped on one of its checks, with what the store holds now. */
  private async checkFailed(check: Check, fence: { shard: string; epoch: number } | null): Promise<Error> {
    if (check.kind === 'epoch' && fence) {
      const [row] = await this.query(
        'SELECT e.epoch, l.url FROM leader_epoch e LEFT JOIN leader_lease l USING (shard) WHERE shard = $1',
        [fence.shard],
      );
      const found = (row?.epoch as number | undefined) ?? null;
      return new CortenError(
        'STALE_EPOCH',
        `the leader lease of ${fence.shard} is at epoch ${found ?? 'none'}, not ${fence.epoch}: ` +
          'another coordinator took over; nothing was written',
        { details: { shard: fence.shard, expected: fence.epoch, found, leader: (row?.url as string) ?? null } },
      );
    }
    if (check.kind === 'fence') {
      const [row] = await this.query('SELECT attempt, status FROM assignments WHERE id = $1', [check.id]);
      const found = row ? { attempt: row.attempt as number, status: row.status as AssignmentStatus } : null;
      return staleFence(check.id, check.fence, found);
    }
    return new Error(check.kind === 'one' ? check.message : `the ${check.kind} check failed`);
  }

  /**
   * Numbers the events after the last committed seq (the counter's row lock
   * orders commits) and inserts them in one statement; the first statement
   * answers the counter, from which the caller numbers them too.
   */
  private eventStatements(events: readonly CortenEvent[]): Statement[] {
    const cols: unknown[][] = [[], [], [], [], [], []];
    for (const e of events) {
      cols[0]!.push(e.type);
      cols[1]!.push(e.ts);
      cols[2]!.push(e.taskId);
      cols[3]!.push(e.operatorId);
      cols[4]!.push(e.owner);
      cols[5]!.push(JSON.stringify(e.data));
    }
    return [
      { text: 'UPDATE event_seq SET seq = seq + $1 RETURNING seq', values: [events.length] },
      {
        text: `INSERT INTO events (seq, type, ts, task_id, operator_id, owner, data)
          SELECT (SELECT seq FROM event_seq) - $1 + v.n, v.type, v.ts, v.task_id, v.operator_id, v.owner, v.data
          FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
            WITH ORDINALITY AS v(type, ts, task_id, operator_id, owner, data, n)`,
        values: [events.length, ...cols],
      },
      // Delivered at commit, once per transaction whatever the count: a wake-up, the log is read by seq.
      { text: 'SELECT pg_notify($1, $2)', values: [this.channel, ''] },
    ];
  }

  async getMeta(key: string): Promise<string | undefined> {
    const [row] = await this.query('SELECT value FROM meta WHERE key = $1', [key]);
    return row ? (row.value as string) : undefined;
  }

  async getEu(id: string): Promise<EuRow | undefined> {
    const [row] = await this.query('SELECT * FROM eus WHERE id = $1', [id]);
    return row ? euFromRaw(row) : undefined;
  }

  async findEu(name: string, version: string): Promise<EuRow | undefined> {
    const [row] = await this.query('SELECT * FROM eus WHERE name = $1 AND version = $2', [name, version]);
    return row ? euFromRaw(row) : undefined;
  }

  async listEus(): Promise<EuRow[]> {
    return (await this.query('SELECT * FROM eus ORDER BY name, published_at')).map(euFromRaw);
  }

  async getTask(id: string): Promise<TaskRow | undefined> {
    const [row] = await this.query('SELECT * FROM tasks WHERE id = $1', [id]);
    return row ? taskFromRaw(row) : undefined;
  }

  async listTasks(filter: TaskFilter): Promise<TaskRow[]> {
    let operatorShare: SearchPlan['operatorShare'];
    if (filter.operatorId) {
      // Index-only: an operator's assignments, counted up to the threshold.
      const [counted] = await this.query(
        'SELECT COUNT(*) AS n FROM (SELECT 1 FROM assignments WHERE operator_id = $1 LIMIT $2) AS a',
        [filter.operatorId, OPERATOR_WALK_THRESHOLD + 1],
      );
      operatorShare = (counted!.n as number) > OPERATOR_WALK_THRESHOLD ? 'large' : 'small';
    }
    const { where, params } = taskWhere(filter, { operatorShare });
    const direction = filter.order === 'desc' ? 'DESC' : 'ASC';
    let n = 0;
    // task-search.ts writes `?`; PostgreSQL numbers its parameters.
    const clause = where.join(' AND ').replace(/\?/g, () => `$${++n}`);
    const sql = `SELECT ${TASK_COLUMNS_NO_INPUT} FROM tasks ${where.length ? `WHERE ${clause}` : ''}
      ORDER BY submitted_at ${direction}, id ${direction} LIMIT $${n + 1}`;
    return (await this.query(sql, [...params, filter.limit])).map(taskFromRaw);
  }

  async getTaskOwners(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.query('SELECT id, owner FROM tasks WHERE id = ANY($1::text[])', [ids]);
    return new Map(rows.map((r) => [r.id as string, r.owner as string]));
  }

  async getTaskInputs(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.query('SELECT id, input FROM tasks WHERE id = ANY($1::text[])', [ids]);
    return new Map(rows.map((r) => [r.id as string, r.input as string]));
  }

  async countTasksByStatus(): Promise<Record<TaskStatus, number>> {
    return (await this.countTasks()).byStatus;
  }

  async countTasks(owner?: string): Promise<TaskCounts> {
    const byStatus = zeroStatusCounts();
    const failures: Record<string, number> = {};
    // Two index reads: statuses from the status index alone, reasons only over the failed tasks' range.
    const scope = owner === undefined ? '' : 'owner = $1 AND ';
    const params = owner === undefined ? [] : [owner];
    const statuses = await this.query(
      `SELECT status, COUNT(*) AS n FROM tasks ${owner === undefined ? '' : 'WHERE owner = $1'} GROUP BY status`,
      params,
    );
    for (const row of statuses) byStatus[row.status as TaskStatus] = row.n as number;
    const reasons = await this.query(
      `SELECT failure, COUNT(*) AS n FROM tasks WHERE ${scope}status = 'failed' AND failure IS NOT NULL GROUP BY failure`,
      params,
    );
    for (const row of reasons) failures[row.failure as string] = row.n as number;
    return { byStatus, failures };
  }

  async loadOpenTasks(): Promise<TaskRow[]> {
    const rows = await this.query(
      `SELECT ${TASK_COLUMNS_NO_INPUT} FROM tasks WHERE status NOT IN ('verified', 'failed') ORDER BY submitted_at, id`,
    );
    return rows.map(taskFromRaw);
  }

  async listAssignments(taskId: string): Promise<AssignmentRow[]> {
    const rows = await this.query('SELECT * FROM assignments WHERE task_id = $1 ORDER BY attempt', [taskId]);
    return rows.map(assignmentFromRaw);
  }

  async getAssignment(id: string): Promise<AssignmentRow | undefined> {
    const [row] = await this.query('SELECT * FROM assignments WHERE id = $1', [id]);
    return row ? assignmentFromRaw(row) : undefined;
  }

  async loadAssignmentsOfOpenTasks(): Promise<AssignmentRow[]> {
    const rows = await this.query(
      `SELECT a.* FROM tasks t JOIN assignments a ON a.task_id = t.id
       WHERE t.status NOT IN ('verified', 'failed') ORDER BY a.task_id, a.attempt`,
    );
    return rows.map(assignmentFromRaw);
  }

  async getOperator(id: string): Promise<OperatorRow | undefined> {
    const [row] = await this.query('SELECT * FROM operators WHERE id = $1', [id]);
    return row ? operatorFromRaw(row) : undefined;
  }

  async listOperators(): Promise<OperatorRow[]> {
    return (await this.query('SELECT * FROM operators ORDER BY region, id')).map(operatorFromRaw);
  }

  async listRegions(): Promise<RegionRow[]> {
    return (await this.query('SELECT * FROM regions ORDER BY name')).map(regionFromRaw);
  }

  async listEvents(filter: EventFilter): Promise<CortenEvent[]> {
    const params: unknown[] = [filter.after];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = ['seq > $1'];
    if (filter.taskId) where.push(`task_id = ${param(filter.taskId)}`);
    if (filter.operatorId) where.push(`operator_id = ${param(filter.operatorId)}`);
    if (filter.visibleTo === null) where.push('owner IS NULL');
    else if (filter.visibleTo !== undefined) where.push(`(owner IS NULL OR owner = ${param(filter.visibleTo)})`);
    if (filter.types && filter.types.length > 0) where.push(`type = ANY(${param(filter.types)}::text[])`);
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${param(filter.limit)}`;
    return (await this.query(sql, params)).map(eventFromRaw);
  }

  async lastEventSeq(): Promise<number> {
    const [row] = await this.query('SELECT seq FROM event_seq');
    return (row?.seq as number | undefined) ?? 0;
  }
}

const BEGIN: Statement = { text: 'BEGIN', values: [], prepare: false };
const COMMIT: Statement = { text: 'COMMIT', values: [], prepare: false };

/**
 * The fence on the leader's epoch: its row read FOR SHARE, so that a takeover
 * (which updates it) waits for this commit, and this commit, once the
 * takeover committed, finds the new epoch and fails.
 */
function epochCheck(fence: { shard: string; epoch: number }): Statement {
  return {
    text: `SELECT corten_expect_one((SELECT count(*) FROM
        (SELECT 1 FROM leader_epoch WHERE shard = $1 AND epoch = $2 FOR SHARE) AS held), 'epoch', $3, $4)`,
    values: [fence.shard, fence.epoch, JSON.stringify({ kind: 'epoch' }), 'the leader epoch moved'],
  };
}

function writeOf(change: ChangeSet['changes'][number]): Write | undefined {
  for (const area of AREAS) {
    const write = area(change);
    if (write) return write;
  }
  return undefined;
}

/** Connection-level failures (refused, reset, terminated, timed out) become STORE_UNAVAILABLE. */
function unavailable(error: unknown): CortenError | undefined {
  if (error instanceof CortenError) return undefined;
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  const message = e?.message ?? '';
  const down =
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006'].includes(
      code,
    ) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    );
  if (!down) return undefined;
  return new CortenError('STORE_UNAVAILABLE', `PostgreSQL is unreachable: ${message || code}; nothing was written`, {
    cause: error,
  });
}
