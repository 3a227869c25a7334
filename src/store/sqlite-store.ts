/**
 * The embedded backend: SQLite through better-sqlite3, in WAL mode, in a data
 * folder. better-sqlite3 is synchronous, which suits a single coordinator
 * process: a commit is one BEGIN IMMEDIATE … COMMIT with prepared statements
 * and no round trips. `synchronous = NORMAL` in WAL mode keeps every committed
 * transaction across a process crash (kill -9); only a power loss may drop the
 * last few, which the lease protocol tolerates (work is re-run, never lost
 * twice).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CortenError, type CortenEvent } from '../protocol/index.js';
import type { Change, ChangeSet } from './change-set.js';
import { loadMigrations } from './migrations.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import type {
  AssignmentFence,
  AssignmentRow,
  AssignmentStatus,
  AssignmentUpdate,
  EuRow,
  EventFilter,
  OperatorRow,
  RegionRow,
  TaskCounts,
  TaskFilter,
  TaskRow,
  TaskStatus,
} from './rows.js';
import {
  assignmentFromRaw,
  euFromRaw,
  eventFromRaw,
  operatorFromRaw,
  regionFromRaw,
  snake,
  taskFromRaw,
} from './sqlite-mapping.js';
import { SqliteTrust } from './sqlite-trust.js';
import { staleFence, zeroStatusCounts } from './store-errors.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';
import { OPERATOR_WALK_THRESHOLD, taskWhere, type SearchPlan } from './task-search.js';
import { SqliteWorkflows } from './sqlite-workflows.js';
import type { Store } from './store.js';

type Raw = Record<string, unknown>;
type Statement = Database.Statement<unknown[], Raw>;

const TASK_COLUMNS_NO_INPUT =
  'id, eu_id, status, input_hash, seed, clock, quorum, max_replicas, replicas, attempts, output_hash, result_assignment_id, ' +
  'failure, failure_message, submitted_at, updated_at, finished_at, owner';

export interface SqliteStoreOptions {
  /** Data folder; the database is `corten.db` inside it. Use ':memory:' for a throwaway store. */
  dir: string;
  /**
   * Open an existing store for inspection only (`ledger verify`): nothing is
   * created or migrated, every write fails, and a folder without a database
   * is refused with NO_DATA. SQLite may still add its -wal and -shm sidecars
   * next to an existing database, as any reader of a WAL database does.
   */
  readonly?: boolean;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private checkpointer: SqliteCheckpointer | null = null;
  readonly trust: SqliteTrust;
  readonly webhooks: SqliteWebhooks;
  readonly workflows: SqliteWorkflows;
  private readonly updates = new Map<string, Statement>();
  private w!: ReturnType<SqliteStore['writes']>;
  private readonly commitTx: Database.Transaction<(changes: Change[], committed: CortenEvent[]) => void>;

  constructor(options: SqliteStoreOptions) {
    const readonly = options.readonly === true;
    if (options.dir === ':memory:') {
      this.path = ':memory:';
    } else {
      if (!readonly) mkdirSync(options.dir, { recursive: true });
      this.path = join(options.dir, 'corten.db');
    }
    if (readonly && (this.path === ':memory:' || !existsSync(this.path))) throw noData(options.dir);
    this.db = new Database(this.path, { readonly, fileMustExist: readonly });
    if (readonly && !this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get()) {
      this.db.close();
      throw noData(options.dir);
    }
    // A reader takes the journal mode the coordinator set; setting it is a write.
    if (!readonly) this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    this.trust = new SqliteTrust((sql) => this.stmt(sql));
    this.webhooks = new SqliteWebhooks((sql) => this.stmt(sql));
    this.workflows = new SqliteWorkflows((sql) => this.stmt(sql));
    // 64 MB of page cache: the event log's indexes stay hot under a steady stream of inserts.
    this.db.pragma('cache_size = -65536');
    if (this.path !== ':memory:' && !readonly) {
      // Checkpoints run on a thread of their own (see sqlite-checkpointer.ts).
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new SqliteCheckpointer(this.path);
    }
    this.commitTx = this.db.transaction((list: Change[], committed: CortenEvent[]) => {
      this.workflows.begin();
      for (const change of list) {
        const seq = this.apply(change);
        if (seq !== undefined && change.op === 'event') {
          // The event object becomes the committed event: no copy per event.
          const event = change.event as CortenEvent;
          event.seq = seq;
          committed.push(event);
        }
      }
      // Job rows last, in multi-row statements (sqlite-workflows.ts).
      this.workflows.flush();
    });
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql) as Statement;
      this.statements.set(sql, s);
    }
    return s;
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const migration of loadMigrations()) {
      const apply = this.db.transaction(() => {
        const done = this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
        if (done) return;
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
        this.db.exec(migration.sql);
      });
      apply.immediate();
    }
    this.w = this.writes();
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.checkpointer = null;
    if (this.db.open) this.db.close();
  }

  async commit(changes: ChangeSet): Promise<CortenEvent[]> {
    const committed: CortenEvent[] = [];
    this.commitTx.immediate(changes.changes, committed);
    return committed;
  }

  /** The write statements, prepared once: they run thousands of times a second. */
  private writes() {
    const db = this.db;
    return {
      meta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      eu: db.prepare(
        `INSERT INTO eus (id, name, version, manifest, files, published_at, owner)
         VALUES (@id, @name, @version, @manifest, @files, @publishedAt, @owner)`,
      ),
      task: db.prepare(
        `INSERT INTO tasks (id, eu_id, status, input, input_hash, seed, clock, quorum, max_replicas, replicas, attempts, output_hash,
           result_assignment_id, failure, failure_message, submitted_at, updated_at, finished_at, owner)
         VALUES (@id, @euId, @status, @input, @inputHash, @seed, @clock, @quorum, @maxReplicas, @replicas, @attempts, @outputHash,
           @resultAssignmentId, @failure, @failureMessage, @submittedAt, @updatedAt, @finishedAt, @owner)`,
      ),
      assignment: db.prepare(
        `INSERT INTO assignments (id, task_id, operator_id, attempt, status, leased_at, lease_expires_at, finished_at, output, output_hash,
           error_code, signature, signature_proof, duration_ms, cpu_ms, memory_mb, end_reason)
         VALUES (@id, @taskId, @operatorId, @attempt, @status, @leasedAt, @leaseExpiresAt, @finishedAt, @output, @outputHash,
           @errorCode, @signature, @signatureProof, @durationMs, @cpuMs, @memoryMb, @endReason)`,
      ),
      operator: db.prepare(
        `INSERT INTO operators (id, public_key, region, status, resources, max_concurrent, first_seen_at, last_seen_at, status_reason)
         VALUES (@id, @publicKey, @region, @status, @resources, @maxConcurrent, @firstSeenAt, @lastSeenAt, @statusReason)
         ON CONFLICT (id) DO UPDATE SET region = excluded.region, status = excluded.status, resources = excluded.resources,
           max_concurrent = excluded.max_concurrent, last_seen_at = excluded.last_seen_at, status_reason = excluded.status_reason`,
      ),
      region: db.prepare(
        `INSERT INTO regions (name, down, source, reason, changed_at) VALUES (@name, @down, @source, @reason, @changedAt)
         ON CONFLICT (name) DO UPDATE SET down = excluded.down, source = excluded.source, reason = excluded.reason, changed_at = excluded.changed_at`,
      ),
      event: db.prepare('INSERT INTO events (type, ts, task_id, operator_id, owner, data) VALUES (?, ?, ?, ?, ?, ?)'),
    };
  }

  /** Applies one change; returns the new event's seq for an event. */
  private apply(change: Change): number | undefined {
    const w = this.w;
    switch (change.op) {
      case 'meta.set':
        w.meta.run(change.key, change.value);
        return undefined;
      case 'eu.insert':
        w.eu.run(change.row);
        return undefined;
      case 'task.insert':
        w.task.run(change.row);
        return undefined;
      case 'task.update':
        this.update('tasks', change.id, change.set);
        return undefined;
      case 'assignment.insert':
        w.assignment.run(change.row);
        return undefined;
      case 'assignment.update':
        this.updateAssignment(change.id, change.fence, change.set);
        return undefined;
      case 'operator.upsert':
        w.operator.run(change.row);
        return undefined;
      case 'operator.update':
        this.update('operators', change.id, change.set);
        return undefined;
      case 'region.upsert':
        w.region.run({ ...change.row, down: change.row.down ? 1 : 0 });
        return undefined;
      case 'inbox.delete':
        throw new Error('the SQLite store has no inbox: a coordinator alone takes submissions itself');
      case 'event': {
        const e = change.event;
        // An event whose owner was never decided is kept for the admin: a gap in the rules must not make it public.
        if (e.owner === undefined) e.owner = 'network';
        const info = w.event.run(e.type, e.ts, e.taskId, e.operatorId, e.owner, JSON.stringify(e.data));
        return Number(info.lastInsertRowid);
      }
      case 'webhook.insert':
      case 'webhook.remove':
      case 'webhook.delivery':
      case 'webhook.attempt':
      case 'webhook.abandon':
        this.webhooks.apply(change);
        return undefined;
      case 'workflow.insert':
      case 'job.insert':
      case 'job.update':
      case 'job_step.upsert':
      case 'job_task.insert':
        this.workflows.apply(change);
        return undefined;
      default:
        this.trust.apply(change);
        return undefined;
    }
  }

  /**
   * The lease fence: the UPDATE matches only a row still at the expected
   * attempt and status. A miss throws STALE_FENCE, which rolls back the whole
   * commit, so a stale writer changes nothing at all.
   */
  private updateAssignment(id: string, fence: AssignmentFence, set: AssignmentUpdate): void {
    const changed = this.update('assignments', id, set, fence);
    if (changed === 1) return;
    const row = this.stmt('SELECT attempt, status FROM assignments WHERE id = ?').get(id);
    const found = row ? { attempt: row.attempt as number, status: row.status as AssignmentStatus } : null;
    throw staleFence(id, fence, found);
  }

  /**
   * UPDATE table SET <the fields present> WHERE id = ? [AND attempt = ? AND status = ?];
   * one statement per table, field combination and fence, prepared once. Returns the rows changed.
   */
  private update(
    table: 'tasks' | 'assignments' | 'operators',
    id: string,
    set: object,
    fence?: AssignmentFence,
  ): number {
    const fields = set as Raw;
    const keys = Object.keys(fields).filter((k) => fields[k] !== undefined);
    // An empty update still checks its fence: the caller counted on the row being as it expects.
    if (keys.length === 0 && !fence) return 1;
    const shape = `${table}:${keys.join(',')}${fence ? ':fenced' : ''}`;
    let stmt = this.updates.get(shape);
    if (!stmt) {
      // The fence's parameters are prefixed so no field of the row can shadow them.
      const assignments = keys.length > 0 ? keys.map((k) => `${snake(k)} = @${k}`).join(', ') : 'id = id';
      const where = fence ? 'id = @id AND attempt = @fence_attempt AND status = @fence_status' : 'id = @id';
      stmt = this.db.prepare(`UPDATE ${table} SET ${assignments} WHERE ${where}`) as Statement;
      this.updates.set(shape, stmt);
    }
    const params: Raw = { id };
    for (const k of keys) params[k] = fields[k];
    if (fence) {
      params.fence_attempt = fence.attempt;
      params.fence_status = fence.status;
    }
    const info = stmt.run(params);
    if (!fence && info.changes !== 1) throw new Error(`update of ${table} ${id} matched ${info.changes} rows`);
    return info.changes;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key);
    return row ? (row.value as string) : undefined;
  }

  async getEu(id: string): Promise<EuRow | undefined> {
    const row = this.stmt('SELECT * FROM eus WHERE id = ?').get(id);
    return row ? euFromRaw(row) : undefined;
  }

  async findEu(name: string, version: string): Promise<EuRow | undefined> {
    const row = this.stmt('SELECT * FROM eus WHERE name = ? AND version = ?').get(name, version);
    return row ? euFromRaw(row) : undefined;
  }

  async listEus(): Promise<EuRow[]> {
    return this.stmt('SELECT * FROM eus ORDER BY name, published_at').all().map(euFromRaw);
  }

  async getTask(id: string): Promise<TaskRow | undefined> {
    const row = this.stmt('SELECT * FROM tasks WHERE id = ?').get(id);
    return row ? taskFromRaw(row) : undefined;
  }

  async listTasks(filter: TaskFilter): Promise<TaskRow[]> {
    let operatorShare: SearchPlan['operatorShare'];
    if (filter.operatorId) {
      // Index-only: an operator's assignments, counted up to the threshold.
      const counted = this.stmt(
        'SELECT COUNT(*) AS n FROM (SELECT 1 FROM assignments WHERE operator_id = ? LIMIT ?)',
      ).get(filter.operatorId, OPERATOR_WALK_THRESHOLD + 1) as { n: number };
      operatorShare = counted.n > OPERATOR_WALK_THRESHOLD ? 'large' : 'small';
    }
    const { where, params } = taskWhere(filter, { operatorShare });
    const direction = filter.order === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT ${TASK_COLUMNS_NO_INPUT} FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY submitted_at ${direction}, id ${direction} LIMIT ?`;
    return this.stmt(sql)
      .all(...params, filter.limit)
      .map(taskFromRaw);
  }

  async getTaskOwners(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const stmt = this.stmt('SELECT owner FROM tasks WHERE id = ?');
    for (const id of ids) {
      const row = stmt.get(id);
      if (row) out.set(id, row.owner as string);
    }
    return out;
  }

  async getTaskInputs(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const stmt = this.stmt('SELECT id, input FROM tasks WHERE id = ?');
    for (const id of ids) {
      const row = stmt.get(id);
      if (row) out.set(row.id as string, row.input as string);
    }
    return out;
  }

  async countTasksByStatus(): Promise<Record<TaskStatus, number>> {
    return (await this.countTasks()).byStatus;
  }

  async countTasks(owner?: string): Promise<TaskCounts> {
    const byStatus = zeroStatusCounts();
    const failures: Record<string, number> = {};
    // Two index reads: statuses from the status index alone, reasons only over the failed tasks' range.
    const scope = owner === undefined ? '' : 'owner = ? AND ';
    const params = owner === undefined ? [] : [owner];
    const statuses = this.stmt(
      `SELECT status, COUNT(*) AS n FROM tasks ${owner === undefined ? '' : 'WHERE owner = ?'} GROUP BY status`,
    ).all(...params);
    for (const row of statuses) byStatus[row.status as TaskStatus] = row.n as number;
    const reasons = this.stmt(
      `SELECT failure, COUNT(*) AS n FROM tasks WHERE ${scope}status = 'failed' AND failure IS NOT NULL GROUP BY failure`,
    ).all(...params);
    for (const row of reasons) failures[row.failure as string] = row.n as number;
    return { byStatus, failures };
  }

  async loadOpenTasks(): Promise<TaskRow[]> {
    return this.stmt(
      `SELECT ${TASK_COLUMNS_NO_INPUT} FROM tasks WHERE status NOT IN ('verified', 'failed') ORDER BY submitted_at, id`,
    )
      .all()
      .map(taskFromRaw);
  }

  async listAssignments(taskId: string): Promise<AssignmentRow[]> {
    return this.stmt('SELECT * FROM assignments WHERE task_id = ? ORDER BY attempt').all(taskId).map(assignmentFromRaw);
  }

  async getAssignment(id: string): Promise<AssignmentRow | undefined> {
    const row = this.stmt('SELECT * FROM assignments WHERE id = ?').get(id);
    return row ? assignmentFromRaw(row) : undefined;
  }

  async loadAssignmentsOfOpenTasks(): Promise<AssignmentRow[]> {
    return this.stmt(
      `SELECT a.* FROM tasks t JOIN assignments a ON a.task_id = t.id
       WHERE t.status NOT IN ('verified', 'failed') ORDER BY a.task_id, a.attempt`,
    )
      .all()
      .map(assignmentFromRaw);
  }

  async getOperator(id: string): Promise<OperatorRow | undefined> {
    const row = this.stmt('SELECT * FROM operators WHERE id = ?').get(id);
    return row ? operatorFromRaw(row) : undefined;
  }

  async listOperators(): Promise<OperatorRow[]> {
    return this.stmt('SELECT * FROM operators ORDER BY region, id').all().map(operatorFromRaw);
  }

  async listRegions(): Promise<RegionRow[]> {
    return this.stmt('SELECT * FROM regions ORDER BY name').all().map(regionFromRaw);
  }

  async listEvents(filter: EventFilter): Promise<CortenEvent[]> {
    const where = ['seq > ?'];
    const params: unknown[] = [filter.after];
    if (filter.taskId) {
      where.push('task_id = ?');
      params.push(filter.taskId);
    }
    if (filter.operatorId) {
      where.push('operator_id = ?');
      params.push(filter.operatorId);
    }
    if (filter.visibleTo === null) {
      where.push('owner IS NULL');
    } else if (filter.visibleTo !== undefined) {
      where.push('(owner IS NULL OR owner = ?)');
      params.push(filter.visibleTo);
    }
    if (filter.types && filter.types.length > 0) {
      where.push(`type IN (${filter.types.map(() => '?').join(', ')})`);
      params.push(...filter.types);
    }
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
    return this.stmt(sql)
      .all(...params, filter.limit)
      .map(eventFromRaw);
  }

  async lastEventSeq(): Promise<number> {
    const row = this.stmt('SELECT MAX(seq) AS seq FROM events').get();
    return (row?.seq as number | null) ?? 0;
  }
}

function noData(dir: string): CortenError {
  return new CortenError('NO_DATA', `${dir} holds no coordinator data (no corten.db with a corten schema)`);
}
