/**
 * The SQL of workflows and jobs for the SQLite backend. SqliteStore delegates
 * these writes and reads here. Every query is by key or by an index: a job's
 * steps and tasks by its primary key prefix, open jobs by `jobs_open`, lists
 * by `jobs_name` or `jobs_owner`.
 */
import type Database from 'better-sqlite3';
import type { WorkflowChange } from './change-set.js';
import type {
  JobFilter,
  JobRow,
  JobsSnapshot,
  JobStepRow,
  JobTaskRow,
  JobTaskState,
  JobUpdate,
  TaskStatus,
  WorkflowRow,
} from './rows.js';
import { snake } from './sqlite-mapping.js';
import type { WorkflowStore } from './workflow-store.js';

type Raw = Record<string, unknown>;
type Statement = Database.Statement<unknown[], Raw>;

export const workflowFromRaw = (r: Raw): WorkflowRow => ({
  id: r.id as string,
  name: r.name as string,
  version: r.version as string,
  document: r.document as string,
  owner: r.owner as string,
  publishedAt: r.published_at as number,
});

export const jobFromRaw = (r: Raw): JobRow => ({
  id: r.id as string,
  workflowId: r.workflow_id as string,
  name: r.name as string,
  owner: r.owner as string,
  accountId: (r.account_id as string | null) ?? null,
  status: r.status as JobRow['status'],
  input: r.input as string,
  reserved: r.reserved as number,
  escrowEntry: (r.escrow_entry as string | null) ?? null,
  failure: (r.failure as string | null) ?? null,
  submittedAt: r.submitted_at as number,
  updatedAt: r.updated_at as number,
  finishedAt: (r.finished_at as number | null) ?? null,
});

export const stepFromRaw = (r: Raw): JobStepRow => ({
  jobId: r.job_id as string,
  stepId: r.step_id as string,
  status: r.status as string,
  euId: (r.eu_id as string | null) ?? null,
  tasks: r.tasks as number,
  output: (r.output as string | null) ?? null,
  reason: (r.reason as string | null) ?? null,
  updatedAt: r.updated_at as number,
});

export const jobTaskFromRaw = (r: Raw): JobTaskState => ({
  jobId: r.job_id as string,
  stepId: r.step_id as string,
  index: r.idx as number,
  taskId: r.task_id as string,
  euId: r.eu_id as string,
  status: r.status as TaskStatus,
  failure: (r.failure as string | null) ?? null,
  output: (r.output as string | null) ?? null,
});

/** A step task with its task's EU and status and, once verified, the accepted output. */
export const JOB_TASK_SELECT = `SELECT jt.job_id, jt.step_id, jt.idx, jt.task_id, t.eu_id, t.status, t.failure,
    CASE WHEN t.status = 'verified' THEN a.output END AS output
  FROM job_tasks jt JOIN tasks t ON t.id = jt.task_id LEFT JOIN assignments a ON a.id = t.result_assignment_id`;

/** Rows a multi-row statement writes at most: 64 × 13 columns stays far below SQLite's 32,766 parameters. */
const ROWS_A_STATEMENT = 64;

/** A job row's columns in insert order (PostgreSQL's writes use them too). */
export const JOB_COLUMNS = [
  'id',
  'workflowId',
  'name',
  'owner',
  'accountId',
  'status',
  'input',
  'reserved',
  'escrowEntry',
  'failure',
  'submittedAt',
  'updatedAt',
  'finishedAt',
] as const satisfies readonly (keyof JobRow)[];
/** A step row's columns in insert order. */
export const STEP_COLUMNS = [
  'jobId',
  'stepId',
  'status',
  'euId',
  'tasks',
  'output',
  'reason',
  'updatedAt',
] as const satisfies readonly (keyof JobStepRow)[];
const JOB_TASK_COLUMNS = ['jobId', 'stepId', 'index', 'taskId'] as const satisfies readonly (keyof JobTaskRow)[];

/**
 * A commit's job writes, gathered and written at its end in multi-row statements:
 * a turn writes them for dozens of jobs at once. A job inserted and updated in
 * the same commit is inserted as it ends up; a step upserted twice is written
 * once, as the last upsert left it (an upsert replaces every column).
 */
interface JobWrites {
  jobs: Map<string, JobRow>;
  updates: { id: string; set: JobUpdate }[];
  steps: Map<string, JobStepRow>;
  tasks: JobTaskRow[];
}

function noJobWrites(): JobWrites {
  return { jobs: new Map(), updates: [], steps: new Map(), tasks: [] };
}

export class SqliteWorkflows implements WorkflowStore {
  private pending = noJobWrites();

  constructor(private readonly stmt: (sql: string) => Statement) {}

  /** Starts a commit: what a failed commit gathered is dropped with it. */
  begin(): void {
    this.pending = noJobWrites();
  }

  /** Takes one change of the commit; job rows wait for `flush`, after the commit's other writes. */
  apply(change: WorkflowChange): void {
    const pending = this.pending;
    switch (change.op) {
      case 'workflow.insert':
        this.stmt(
          `INSERT INTO workflows (id, name, version, document, owner, published_at)
           VALUES (@id, @name, @version, @document, @owner, @publishedAt)`,
        ).run(change.row);
        return;
      case 'job.insert':
        pending.jobs.set(change.row.id, { ...change.row });
        return;
      case 'job.update': {
        const inserted = pending.jobs.get(change.id);
        if (!inserted) pending.updates.push(change);
        else for (const [k, v] of Object.entries(change.set)) if (v !== undefined) Object.assign(inserted, { [k]: v });
        return;
      }
      case 'job_step.upsert':
        pending.steps.set(`${change.row.jobId}\u0000${change.row.stepId}`, change.row);
        return;
      case 'job_task.insert':
        pending.tasks.push(change.row);
        return;
    }
  }

  /**
   * Writes the commit's job rows: jobs first (steps and step tasks reference
   * them), then their updates, steps and step tasks. Step tasks come after the
   * commit's task rows, which they reference too.
   */
  flush(): void {
    const { jobs, updates, steps, tasks } = this.pending;
    this.pending = noJobWrites();
    this.insertMany(
      `INSERT INTO jobs (id, workflow_id, name, owner, account_id, status, input, reserved, escrow_entry, failure,
         submitted_at, updated_at, finished_at) VALUES`,
      '',
      [...jobs.values()],
      JOB_COLUMNS,
    );
    for (const { id, set } of updates) this.update(id, set);
    this.insertMany(
      'INSERT INTO job_steps (job_id, step_id, status, eu_id, tasks, output, reason, updated_at) VALUES',
      `ON CONFLICT (job_id, step_id) DO UPDATE SET status = excluded.status, eu_id = excluded.eu_id,
         tasks = excluded.tasks, output = excluded.output, reason = excluded.reason, updated_at = excluded.updated_at`,
      [...steps.values()],
      STEP_COLUMNS,
    );
    this.insertMany('INSERT INTO job_tasks (job_id, step_id, idx, task_id) VALUES', '', tasks, JOB_TASK_COLUMNS);
  }

  private insertMany<R extends object>(head: string, tail: string, rows: R[], columns: readonly (keyof R)[]): void {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (let start = 0; start < rows.length; start += ROWS_A_STATEMENT) {
      const chunk = rows.slice(start, start + ROWS_A_STATEMENT);
      const values: unknown[] = [];
      for (const row of chunk) for (const c of columns) values.push(row[c]);
      this.stmt(`${head} ${chunk.map(() => tuple).join(', ')} ${tail}`).run(values);
    }
  }

  private update(id: string, set: JobUpdate): void {
    const fields = set as Raw;
    const keys = Object.keys(fields).filter((k) => fields[k] !== undefined);
    if (keys.length === 0) return;
    const sql = `UPDATE jobs SET ${keys.map((k) => `${snake(k)} = @${k}`).join(', ')} WHERE id = @id`;
    const params: Raw = { id };
    for (const k of keys) params[k] = fields[k];
    const info = this.stmt(sql).run(params);
    if (info.changes !== 1) throw new Error(`update of jobs ${id} matched ${info.changes} rows`);
  }

  async getWorkflow(id: string): Promise<WorkflowRow | undefined> {
    const row = this.stmt('SELECT * FROM workflows WHERE id = ?').get(id);
    return row ? workflowFromRaw(row) : undefined;
  }

  async listWorkflows(): Promise<WorkflowRow[]> {
    return this.stmt('SELECT * FROM workflows ORDER BY name, published_at, id').all().map(workflowFromRaw);
  }

  async getJob(id: string): Promise<JobRow | undefined> {
    const row = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id);
    return row ? jobFromRaw(row) : undefined;
  }

  async listJobs(filter: JobFilter): Promise<JobRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.owner !== undefined) {
      where.push('owner = ?');
      params.push(filter.owner);
    }
    if (filter.after !== undefined) {
      where.push('(submitted_at, id) > (SELECT submitted_at, id FROM jobs WHERE id = ?)');
      params.push(filter.after);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY submitted_at, id LIMIT ?`;
    return this.stmt(sql)
      .all(...params, filter.limit)
      .map(jobFromRaw);
  }

  async getJobDetail(jobId: string): Promise<{ steps: JobStepRow[]; tasks: JobTaskState[] }> {
    const steps = this.stmt('SELECT * FROM job_steps WHERE job_id = ? ORDER BY step_id').all(jobId).map(stepFromRaw);
    const tasks = this.stmt(`${JOB_TASK_SELECT} WHERE jt.job_id = ? ORDER BY jt.step_id, jt.idx`)
      .all(jobId)
      .map(jobTaskFromRaw);
    return { steps, tasks };
  }

  async loadOpenJobs(): Promise<JobsSnapshot> {
    const open = "SELECT id FROM jobs WHERE status = 'running'";
    return {
      jobs: this.stmt("SELECT * FROM jobs WHERE status = 'running' ORDER BY submitted_at, id").all().map(jobFromRaw),
      steps: this.stmt(`SELECT * FROM job_steps WHERE job_id IN (${open})`).all().map(stepFromRaw),
      tasks: this.stmt(`${JOB_TASK_SELECT} WHERE jt.job_id IN (${open}) ORDER BY jt.job_id, jt.step_id, jt.idx`)
        .all()
        .map(jobTaskFromRaw),
    };
  }

  async loadJobsToUpgrade(name: string, status: 'running' | 'completed', workflowId: string): Promise<JobsSnapshot> {
    const which = 'SELECT id FROM jobs WHERE name = ? AND status = ? AND workflow_id <> ?';
    return {
      jobs: this.stmt(`SELECT * FROM jobs WHERE id IN (${which}) ORDER BY submitted_at, id`)
        .all(name, status, workflowId)
        .map(jobFromRaw),
      steps: this.stmt(`SELECT * FROM job_steps WHERE job_id IN (${which})`)
        .all(name, status, workflowId)
        .map(stepFromRaw),
      tasks: [],
    };
  }
}
