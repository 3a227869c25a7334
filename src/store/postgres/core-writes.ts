/**
 * The core area's writes on PostgreSQL: meta, EUs, tasks, assignments (with
 * the lease fence), operators, regions. Events are numbered and written by
 * the store itself at the end of the commit (postgres-store.ts).
 */
import type { Change } from '../change-set.js';
import type { AssignmentFence, AssignmentRow, EuRow, OperatorRow, TaskRow } from '../rows.js';
import { snake } from '../sqlite-mapping.js';
import { sql, touchingOne, type Check, type InsertSpec, type Statement, type Write } from './write-plan.js';

const META: InsertSpec = {
  table: 'meta',
  columns: ['key', 'value'],
  conflict: 'ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  keyed: true,
};

const EU_COLUMNS = ['id', 'name', 'version', 'manifest', 'files', 'publishedAt', 'owner'] as const;
const EU: InsertSpec = { table: 'eus', columns: EU_COLUMNS.map(snake) };

const TASK_COLUMNS = [
  'id',
  'euId',
  'status',
  'input',
  'inputHash',
  'seed',
  'clock',
  'quorum',
  'maxReplicas',
  'replicas',
  'attempts',
  'outputHash',
  'resultAssignmentId',
  'failure',
  'failureMessage',
  'submittedAt',
  'updatedAt',
  'finishedAt',
  'owner',
] as const satisfies readonly (keyof TaskRow)[];
const TASK: InsertSpec = { table: 'tasks', columns: TASK_COLUMNS.map(snake) };

const ASSIGNMENT_COLUMNS = [
  'id',
  'taskId',
  'operatorId',
  'attempt',
  'status',
  'leasedAt',
  'leaseExpiresAt',
  'finishedAt',
  'output',
  'outputHash',
  'errorCode',
  'signature',
  'signatureProof',
  'durationMs',
  'cpuMs',
  'memoryMb',
  'endReason',
] as const satisfies readonly (keyof AssignmentRow)[];
const ASSIGNMENT: InsertSpec = { table: 'assignments', columns: ASSIGNMENT_COLUMNS.map(snake) };

const OPERATOR_COLUMNS = [
  'id',
  'publicKey',
  'region',
  'status',
  'resources',
  'maxConcurrent',
  'firstSeenAt',
  'lastSeenAt',
  'statusReason',
] as const satisfies readonly (keyof OperatorRow)[];
const OPERATOR: InsertSpec = {
  table: 'operators',
  columns: OPERATOR_COLUMNS.map(snake),
  conflict: `ON CONFLICT (id) DO UPDATE SET region = excluded.region, status = excluded.status,
    resources = excluded.resources, max_concurrent = excluded.max_concurrent, last_seen_at = excluded.last_seen_at,
    status_reason = excluded.status_reason`,
  keyed: true,
};

const REGION: InsertSpec = {
  table: 'regions',
  columns: ['name', 'down', 'source', 'reason', 'changed_at'],
  conflict: `ON CONFLICT (name) DO UPDATE SET down = excluded.down, source = excluded.source,
    reason = excluded.reason, changed_at = excluded.changed_at`,
  keyed: true,
};

function valuesOf<R extends object>(row: R, columns: readonly (keyof R)[]): unknown[] {
  return columns.map((c) => row[c]);
}

/** The write of a core change, or undefined when the change belongs to another area. */
export function coreWrite(change: Change): Write | undefined {
  switch (change.op) {
    case 'meta.set':
      return { kind: 'insert', spec: META, values: [change.key, change.value], key: change.key };
    case 'eu.insert':
      return { kind: 'insert', spec: EU, values: valuesOf<EuRow>(change.row, EU_COLUMNS) };
    case 'task.insert':
      return { kind: 'insert', spec: TASK, values: valuesOf(change.row, TASK_COLUMNS) };
    case 'assignment.insert':
      return { kind: 'insert', spec: ASSIGNMENT, values: valuesOf(change.row, ASSIGNMENT_COLUMNS) };
    case 'operator.upsert':
      return { kind: 'insert', spec: OPERATOR, values: valuesOf(change.row, OPERATOR_COLUMNS), key: change.row.id };
    case 'region.upsert': {
      const r = change.row;
      return {
        kind: 'insert',
        spec: REGION,
        values: [r.name, r.down ? 1 : 0, r.source, r.reason, r.changedAt],
        key: r.name,
      };
    }
    case 'inbox.delete': {
      const check: Check = { kind: 'one', message: `inbox row ${change.id} was taken in already` };
      return sql(touchingOne('DELETE FROM inbox WHERE id = $1', [change.id], check));
    }
    case 'task.update':
      return sql(update('tasks', change.id, change.set));
    case 'operator.update':
      return sql(update('operators', change.id, change.set));
    case 'assignment.update':
      return sql(update('assignments', change.id, change.set, change.fence));
    default:
      return undefined;
  }
}

/**
 * UPDATE table SET <the fields present> WHERE id = $1 [AND attempt AND status],
 * which must change the row: one prepared statement per table, field
 * combination and fence. A fenced update that finds the row elsewhere fails
 * the commit as a fence check (STALE_FENCE), any other as a plain error.
 */
export function update(
  table: 'tasks' | 'assignments' | 'operators' | 'jobs',
  id: string,
  set: object,
  fence?: AssignmentFence,
): Statement | undefined {
  const fields = set as Record<string, unknown>;
  const keys = Object.keys(fields).filter((k) => fields[k] !== undefined);
  // An empty update still checks its fence: the caller counted on the row being as it expects.
  if (keys.length === 0 && !fence) return undefined;
  const values: unknown[] = [id, ...keys.map((k) => fields[k])];
  const assignments = keys.length > 0 ? keys.map((k, i) => `${snake(k)} = $${i + 2}`).join(', ') : 'id = id';
  let where = 'id = $1';
  if (fence) {
    where += ` AND attempt = $${values.length + 1} AND status = $${values.length + 2}`;
    values.push(fence.attempt, fence.status);
  }
  const check: Check = fence
    ? { kind: 'fence', id, fence }
    : { kind: 'one', message: `update of ${table} ${id} found no row` };
  return touchingOne(`UPDATE ${table} SET ${assignments} WHERE ${where}`, values, check);
}
