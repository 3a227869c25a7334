/**
 * Workflows and jobs on PostgreSQL: the writes of their changes
 * (`workflowWrite`, an area of the commit) and their reads
 * (`store.workflows`), as SQLite's sqlite-workflows.ts.
 */
import type { Change } from '../change-set.js';
import type { JobFilter, JobRow, JobsSnapshot, JobStepRow, JobTaskState, WorkflowRow } from '../rows.js';
import { snake } from '../sqlite-mapping.js';
import {
  JOB_COLUMNS,
  JOB_TASK_SELECT,
  jobFromRaw,
  jobTaskFromRaw,
  STEP_COLUMNS,
  stepFromRaw,
  workflowFromRaw,
} from '../sqlite-workflows.js';
import type { WorkflowStore } from '../workflow-store.js';
import { update } from './core-writes.js';
import type { Query } from './pg-pool.js';
import { sql, type InsertSpec, type Write } from './write-plan.js';

const WORKFLOW_COLUMNS = ['id', 'name', 'version', 'document', 'owner', 'publishedAt'] as const;
const WORKFLOW: InsertSpec = { table: 'workflows', columns: WORKFLOW_COLUMNS.map(snake) };

const JOB: InsertSpec = { table: 'jobs', columns: JOB_COLUMNS.map(snake) };

const STEP: InsertSpec = {
  table: 'job_steps',
  columns: STEP_COLUMNS.map(snake),
  conflict: `ON CONFLICT (job_id, step_id) DO UPDATE SET status = excluded.status, eu_id = excluded.eu_id,
    tasks = excluded.tasks, output = excluded.output, reason = excluded.reason, updated_at = excluded.updated_at`,
  keyed: true,
};

const JOB_TASK: InsertSpec = { table: 'job_tasks', columns: ['job_id', 'step_id', 'idx', 'task_id'] };

function valuesOf<R extends object>(row: R, columns: readonly (keyof R)[]): unknown[] {
  return columns.map((c) => row[c]);
}

/** The write of a workflow change, or undefined when the change belongs to another area. */
export function workflowWrite(change: Change): Write | undefined {
  switch (change.op) {
    case 'workflow.insert':
      return { kind: 'insert', spec: WORKFLOW, values: valuesOf<WorkflowRow>(change.row, WORKFLOW_COLUMNS) };
    case 'job.insert':
      return { kind: 'insert', spec: JOB, values: valuesOf(change.row, JOB_COLUMNS) };
    case 'job.update':
      return sql(update('jobs', change.id, change.set));
    case 'job_step.upsert':
      return {
        kind: 'insert',
        spec: STEP,
        values: valuesOf(change.row, STEP_COLUMNS),
        key: `${change.row.jobId}\u0000${change.row.stepId}`,
      };
    case 'job_task.insert': {
      const r = change.row;
      return { kind: 'insert', spec: JOB_TASK, values: [r.jobId, r.stepId, r.index, r.taskId] };
    }
    default:
      return undefined;
  }
}

export class PostgresWorkflows implements WorkflowStore {
  constructor(private readonly query: Query) {}

  async getWorkflow(id: string): Promise<WorkflowRow | undefined> {
    const [row] = await this.query('SELECT * FROM workflows WHERE id = $1', [id]);
    return row ? workflowFromRaw(row) : undefined;
  }

  async listWorkflows(): Promise<WorkflowRow[]> {
    return (await this.query('SELECT * FROM workflows ORDER BY name, published_at, id')).map(workflowFromRaw);
  }

  async getJob(id: string): Promise<JobRow | undefined> {
    const [row] = await this.query('SELECT * FROM jobs WHERE id = $1', [id]);
    return row ? jobFromRaw(row) : undefined;
  }

  async listJobs(filter: JobFilter): Promise<JobRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.name !== undefined) where.push(`name = ${param(filter.name)}`);
    if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
    if (filter.owner !== undefined) where.push(`owner = ${param(filter.owner)}`);
    if (filter.after !== undefined)
      where.push(`(submitted_at, id) > (SELECT submitted_at, id FROM jobs WHERE id = ${param(filter.after)})`);
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY submitted_at, id LIMIT ${param(filter.limit)}`;
    return (await this.query(sql, params)).map(jobFromRaw);
  }

  async getJobDetail(jobId: string): Promise<{ steps: JobStepRow[]; tasks: JobTaskState[] }> {
    const steps = (await this.query('SELECT * FROM job_steps WHERE job_id = $1 ORDER BY step_id', [jobId])).map(
      stepFromRaw,
    );
    const tasks = (
      await this.query(`${JOB_TASK_SELECT} WHERE jt.job_id = $1 ORDER BY jt.step_id, jt.idx`, [jobId])
    ).map(jobTaskFromRaw);
    return { steps, tasks };
  }

  async loadOpenJobs(): Promise<JobsSnapshot> {
    const open = "SELECT id FROM jobs WHERE status = 'running'";
    return {
      jobs: (await this.query("SELECT * FROM jobs WHERE status = 'running' ORDER BY submitted_at, id")).map(jobFromRaw),
      steps: (await this.query(`SELECT * FROM job_steps WHERE job_id IN (${open})`)).map(stepFromRaw),
      tasks: (
        await this.query(`${JOB_TASK_SELECT} WHERE jt.job_id IN (${open}) ORDER BY jt.job_id, jt.step_id, jt.idx`)
      ).map(jobTaskFromRaw),
    };
  }

  async loadJobsToUpgrade(name: string, status: 'running' | 'completed', workflowId: string): Promise<JobsSnapshot> {
    const which = 'SELECT id FROM jobs WHERE name = $1 AND status = $2 AND workflow_id <> $3';
    const params = [name, status, workflowId];
    return {
      jobs: (await this.query(`SELECT * FROM jobs WHERE id IN (${which}) ORDER BY submitted_at, id`, params)).map(
        jobFromRaw,
      ),
      steps: (await this.query(`SELECT * FROM job_steps WHERE job_id IN (${which})`, params)).map(stepFromRaw),
      tasks: [],
    };
  }
}
