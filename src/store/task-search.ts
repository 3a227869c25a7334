/**
 * The WHERE clause of a task search, built from a TaskFilter as a pure function, so every
 * backend runs the same portable SQL (row values, IN subqueries, no LIKE) and it can be
 * tested without a database. Placeholders are `?`; a backend that numbers them
 * (PostgreSQL's `$1`) renumbers in order.
 *
 * The indexes of the task_search migration serve each filter: status, owner and owner with status
 * each lead an index ending in (submitted_at, id), so a page is an index range read in order;
 * an operator's tasks come from assignments (operator_id, task_id); a region is its operators.
 */
import type { TaskFilter } from './rows.js';

export interface SqlWhere {
  where: string[];
  params: unknown[];
}

/** The smallest string greater than every string starting with `prefix` (for an index range). */
export function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}

export interface SearchPlan {
  /**
   * How large a share of the tasks the filtered operator ran (the backend may count its
   * assignments first, an index-only read): decides between collecting and walking.
   */
  operatorShare?: 'small' | 'large';
}

/** Assignments of an operator above which its tasks are walked in order rather than collected and sorted. */
export const OPERATOR_WALK_THRESHOLD = 2000;

export function taskWhere(filter: TaskFilter, options: SearchPlan = {}): SqlWhere {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    where.push('status = ?');
    params.push(filter.status);
  }
  if (filter.failure) {
    where.push('failure = ?');
    params.push(filter.failure);
  }
  if (filter.euId) {
    where.push('eu_id = ?');
    params.push(filter.euId);
  }
  if (filter.owner !== undefined) {
    where.push('owner = ?');
    params.push(filter.owner);
  }
  if (filter.idPrefix) {
    where.push('id >= ? AND id < ?');
    params.push(filter.idPrefix, prefixEnd(filter.idPrefix));
  }
  if (filter.since !== undefined) {
    where.push('submitted_at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    where.push('submitted_at < ?');
    params.push(filter.until);
  }
  if (filter.operatorId) {
    // An operator with a small share of the tasks: collect its tasks, then sort them (cheap).
    // One with a large share: walk the listing's order and check each task (a page comes fast).
    where.push(
      options.operatorShare === 'large'
        ? 'EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = tasks.id AND a.operator_id = ?)'
        : 'id IN (SELECT task_id FROM assignments WHERE operator_id = ?)',
    );
    params.push(filter.operatorId);
  }
  if (filter.region) {
    // Regions are few, so each holds a large share of the tasks: walking the listing's order and
    // checking each task's assignments finds a page after a few rows, where collecting the
    // region's tasks first would sort a large share of the table. (Operators are many and each
    // holds a small share, so their tasks are collected first, above.)
    where.push(
      'EXISTS (SELECT 1 FROM assignments a JOIN operators o ON o.id = a.operator_id ' +
        'WHERE a.task_id = tasks.id AND o.region = ?)',
    );
    params.push(filter.region);
  }
  if (filter.after) {
    const op = filter.order === 'desc' ? '<' : '>';
    where.push(`(submitted_at, id) ${op} (SELECT submitted_at, id FROM tasks WHERE id = ?)`);
    params.push(filter.after);
  }
  return { where, params };
}
