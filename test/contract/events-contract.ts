/**
 * The Store contract for the event log: filters by position, type, task and
 * operator, paging by seq, and who may read each event.
 */
import { describe, expect, it } from 'vitest';
import type { EventFilter } from '../../src/store/index.js';
import { taskRow, withEu, type StoreContext } from './store-fixtures.js';

export function describeEventsContract(ctx: StoreContext): void {
  describe('events', () => {
    it('filters events by type, task, operator and position, in seq order, a page at a time', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.push({ op: 'task.insert', row: taskRow('t2') });
      cs.event('task.submitted', 1, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      cs.event('task.submitted', 1, { taskId: 't2', euId: 'eu_1' }, { taskId: 't2' });
      const assigned = { taskId: 't1', assignmentId: 'a1', operatorId: 'op_1', region: 'eu-west', attempt: 1 };
      cs.event('task.assigned', 2, assigned, { taskId: 't1', operatorId: 'op_1' });
      cs.event('operator.draining', 3, { operatorId: 'op_2' }, { operatorId: 'op_2' });
      cs.event('region.down', 4, { region: 'eu-west', reason: 'r' });
      await ctx.store.commit(cs);
      const seqs = async (filter: Partial<EventFilter>) =>
        (await ctx.store.listEvents({ after: 0, limit: 10, ...filter })).map((e) => e.seq);
      expect(await seqs({})).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs({ limit: 2 })).toEqual([1, 2]);
      expect(await seqs({ after: 2, limit: 2 })).toEqual([3, 4]);
      expect(await seqs({ after: 5 })).toEqual([]);
      expect(await seqs({ taskId: 't1' })).toEqual([1, 3]);
      expect(await seqs({ operatorId: 'op_1' })).toEqual([3]);
      expect(await seqs({ types: ['task.submitted', 'region.down'] })).toEqual([1, 2, 5]);
      expect(await seqs({ types: ['task.submitted'], taskId: 't2' })).toEqual([2]);
      expect(await seqs({ types: [] })).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs({ taskId: 't1', after: 1 })).toEqual([3]);
      const [event] = await ctx.store.listEvents({ after: 2, limit: 1 });
      expect(event).toMatchObject({
        seq: 3,
        type: 'task.assigned',
        ts: 2,
        taskId: 't1',
        operatorId: 'op_1',
        data: assigned,
      });
    });

    it('filters tasks by owner and events by who may read them', async () => {
      const store = ctx.store;
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { owner: 'acct_a' }) });
      cs.push({ op: 'task.insert', row: taskRow('t2', { owner: 'anonymous', submittedAt: 2 }) });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      cs.event('task.submitted', 5, { taskId: 't2', euId: 'eu_1' }, { taskId: 't2' });
      cs.event('operator.draining', 5, { operatorId: 'op_1' }, { operatorId: 'op_1' });
      cs.event('ledger.withdrawn', 5, { operatorId: 'op_1', amount: 1, entryId: 'le_1' }, { operatorId: 'op_1' });
      const [a, anon, pub, undecided] = cs.events;
      a!.owner = 'acct_a';
      anon!.owner = 'anonymous';
      pub!.owner = null;
      await store.commit(cs);
      expect((await store.listTasks({ owner: 'acct_a', limit: 10 })).map((t) => t.id)).toEqual(['t1']);
      expect((await store.listTasks({ owner: 'anonymous', limit: 10 })).map((t) => t.id)).toEqual(['t2']);
      expect(await store.getTaskOwners(['t1', 't2', 'nope'])).toEqual(
        new Map([
          ['t1', 'acct_a'],
          ['t2', 'anonymous'],
        ]),
      );
      const seqs = async (visibleTo?: string | null) =>
        (await store.listEvents({ after: 0, limit: 10, ...(visibleTo !== undefined ? { visibleTo } : {}) })).map(
          (e) => e.seq,
        );
      expect(await seqs('acct_a')).toEqual([1, 3]);
      expect(await seqs('anonymous')).toEqual([2, 3]);
      expect(await seqs(null)).toEqual([3]);
      expect(await seqs()).toEqual([1, 2, 3, 4]);
      // An event nobody gave an owner is kept for the admin, never made public.
      expect(undecided!.owner).toBe('network');
      expect((await store.listEvents({ after: 3, limit: 1 }))[0]!.owner).toBe('network');
    });

    it('combines who may read with the other filters', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { owner: 'acct_a' }) });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      cs.event('region.down', 5, { region: 'eu-west', reason: 'r' });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      const [first, pub, last] = cs.events;
      first!.owner = 'acct_a';
      pub!.owner = null;
      last!.owner = 'acct_a';
      await ctx.store.commit(cs);
      const seqs = async (filter: Partial<EventFilter>) =>
        (await ctx.store.listEvents({ after: 0, limit: 10, ...filter })).map((e) => e.seq);
      expect(await seqs({ visibleTo: 'acct_a', types: ['task.submitted'], after: 1 })).toEqual([3]);
      expect(await seqs({ visibleTo: 'acct_b', taskId: 't1' })).toEqual([]);
      expect(await seqs({ visibleTo: 'acct_b' })).toEqual([2]);
      expect(await seqs({ visibleTo: 'acct_a', limit: 2 })).toEqual([1, 2]);
    });
  });
}
