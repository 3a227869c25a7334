/**
 * Task search, counts and retry, over the store, for the API (operations.ts). Every one
 * applies the caller's scope first: an account finds, counts and acts on its own tasks
 * only; the admin on all. A task the caller may not read is refused exactly as a missing
 * one is, so ids leak nothing.
 *
 * Retry makes a new task of a failed one (same EU, same input, same owner, paid by the
 * same account): a task reaches its terminal state once, so the failed one stays failed.
 */
import {
  CortenError,
  coerceError,
  type BulkTasksResponse,
  type ListTasksQuery,
  type TaskCountsView,
  type TaskView,
} from '../../protocol/index.js';
import { TERMINAL_TASK_STATUSES, type Store, type TaskFilter, type TaskRow } from '../../store/index.js';
import { canRead, NETWORK_OWNER, requireOwner, type Viewer } from '../economics/index.js';
import type { EuRegistry, EuState } from '../memory/index.js';
import type { NewInput } from '../lifecycle/index.js';

export type TaskSummary = Omit<TaskView, 'assignments' | 'verdict'>;

/** What these operations need of the coordinator. */
export interface TaskOperationsContext {
  store: Store;
  eus: Pick<EuRegistry, 'get' | 'resolve'>;
  submit(eu: EuState, inputs: NewInput[], owner: string, accountId: string | null): Promise<string[]>;
  /** The engine's cancel: the open tasks among `ids` of `owner` (null: any); resolves with those cancelled. */
  cancel(ids: readonly string[], owner: string | null): Promise<string[]>;
}

/** A task as lists show it: its row, without assignments and verdict. */
export function taskSummary(row: TaskRow): TaskSummary {
  return {
    id: row.id,
    euId: row.euId,
    status: row.status,
    inputHash: row.inputHash,
    quorum: row.quorum,
    maxReplicas: row.maxReplicas,
    replicas: row.replicas,
    attempts: row.attempts,
    submittedAt: row.submittedAt,
    finishedAt: row.finishedAt,
    failure: row.failure ? { reason: row.failure, message: row.failureMessage ?? '' } : null,
  };
}

/** One page of the tasks `viewer` may read that match `query`; `next` is the `after` of the next page. */
export async function searchTasks(
  ctx: TaskOperationsContext,
  query: ListTasksQuery,
  viewer: Viewer,
): Promise<{ tasks: TaskSummary[]; next: string | null }> {
  const filter: TaskFilter = { limit: query.limit, order: query.order };
  const reader = requireOwner(viewer);
  if (reader.kind === 'owner') filter.owner = reader.owner;
  if (query.status) filter.status = query.status;
  if (query.eu) filter.euId = ctx.eus.resolve(query.eu).id;
  if (query.id) filter.idPrefix = query.id;
  if (query.failure) filter.failure = query.failure;
  if (query.operator) filter.operatorId = query.operator;
  if (query.region) filter.region = query.region;
  if (query.since !== undefined) filter.since = query.since;
  if (query.until !== undefined) filter.until = query.until;
  if (query.after) filter.after = query.after;
  const rows = await ctx.store.listTasks(filter);
  const last = rows[rows.length - 1];
  return { tasks: rows.map(taskSummary), next: rows.length === query.limit && last ? last.id : null };
}

/** Counts in `viewer`'s scope: two index reads (see the store's countTasks). */
export function countTasks(ctx: TaskOperationsContext, viewer: Viewer): Promise<TaskCountsView> {
  const reader = requireOwner(viewer);
  return ctx.store.countTasks(reader.kind === 'owner' ? reader.owner : undefined);
}

/**
 * The tasks among `ids` (each once) that `viewer` may act on, by id; the others refused in
 * `out` exactly as missing tasks are.
 */
async function actable(ctx: TaskOperationsContext, ids: readonly string[], viewer: Viewer) {
  const actor = requireActor(viewer);
  const out: BulkTasksResponse = { done: [], refused: [] };
  const rows = new Map<string, TaskRow>();
  for (const id of new Set(ids)) {
    const row = await ctx.store.getTask(id);
    if (!row || !canRead(actor, row.owner)) out.refused.push({ id, code: 'TASK_NOT_FOUND', message: `no task ${id}` });
    else rows.set(id, row);
  }
  return { rows, out, actor };
}

/** Whom a retried task's price is escrowed from: its owner when that is an account (`acct_…`). */
function payerOf(owner: string): string | null {
  return owner.startsWith('acct_') ? owner : null;
}

/**
 * Retries the failed tasks among `ids` that `viewer` may act on; refuses each other one
 * alone, with its reason. Tasks of one EU and owner are resubmitted together, as one batch.
 */
export async function retryTasks(
  ctx: TaskOperationsContext,
  ids: readonly string[],
  viewer: Viewer,
): Promise<BulkTasksResponse> {
  const { rows: readable, out } = await actable(ctx, ids, viewer);
  const rows = new Map<string, TaskRow>();
  for (const [id, row] of readable) {
    if (row.status !== 'failed') {
      out.refused.push({
        id,
        code: 'TASK_NOT_FAILED',
        message: `task ${id} is ${row.status}: only failed tasks retry`,
      });
    } else if (!ctx.eus.get(row.euId)) {
      out.refused.push({ id, code: 'EU_NOT_FOUND', message: `the EU ${row.euId} of task ${id} is not published here` });
    } else {
      rows.set(id, row);
    }
  }
  const inputs = await ctx.store.getTaskInputs([...rows.keys()]);
  const groups = new Map<string, TaskRow[]>();
  for (const row of rows.values()) {
    const key = `${row.euId}\u0000${row.owner}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    try {
      const newIds = await ctx.submit(
        ctx.eus.get(first.euId)!,
        group.map((row) => ({ text: inputs.get(row.id) ?? 'null', hash: row.inputHash })),
        first.owner,
        payerOf(first.owner),
      );
      group.forEach((row, i) => out.done.push({ id: row.id, newTaskId: newIds[i]! }));
    } catch (error) {
      const failure = coerceError(error);
      for (const row of group) out.refused.push({ id: row.id, code: failure.code, message: failure.message });
    }
  }
  return out;
}

/**
 * Cancels the open tasks among `ids` that `viewer` may act on; a finished task (verified or
 * failed) is refused alone, as is one it may not read (as a missing one).
 */
export async function cancelTasks(
  ctx: TaskOperationsContext,
  ids: readonly string[],
  viewer: Viewer,
): Promise<BulkTasksResponse> {
  const { rows, out, actor } = await actable(ctx, ids, viewer);
  const open: string[] = [];
  for (const [id, row] of rows) {
    if (TERMINAL_TASK_STATUSES.includes(row.status)) out.refused.push(finishedRefusal(id, row.status));
    else open.push(id);
  }
  const cancelled = new Set(await ctx.cancel(open, actor.kind === 'owner' ? actor.owner : null));
  for (const id of open) {
    if (cancelled.has(id)) out.done.push({ id });
    // It finished between the read and the engine's turn.
    else out.refused.push(finishedRefusal(id, (await ctx.store.getTask(id))?.status ?? 'failed'));
  }
  return out;
}

function finishedRefusal(id: string, status: string): BulkTasksResponse['refused'][number] {
  return { id, code: 'TASK_FINISHED', message: `task ${id} is ${status}: only open tasks cancel` };
}

/**
 * Acting on tasks needs a key: an account acts on its own tasks, the admin on all. Requests
 * without a key (anonymous mode) may read anonymous tasks but not act on them: anyone could.
 */
export function requireActor(viewer: Viewer): Exclude<Viewer, { kind: 'public' }> {
  if (viewer.kind === 'all') return viewer;
  if (viewer.kind === 'owner' && viewer.owner !== 'anonymous' && viewer.owner !== NETWORK_OWNER) return viewer;
  throw new CortenError(
    'UNAUTHORIZED',
    'acting on tasks needs the API key of the account that submitted them, or the admin token',
  );
}
