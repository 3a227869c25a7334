/**
 * The Store contract for EUs, tasks and assignments: getters, filters,
 * keyset paging, inputs, the open work recovery loads.
 */
import { describe, expect, it } from 'vitest';
import { ChangeSet } from '../../src/store/index.js';
import { assignmentRow, euRow, taskRow, withEu, type StoreContext } from './store-fixtures.js';

export function describeTasksContract(ctx: StoreContext): void {
  describe('EUs', () => {
    it('finds an EU by id and by name and version, and lists them by name then publication', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'eu.insert', row: euRow('eu_b2', { name: 'b', version: '2.0.0', publishedAt: 5 }) });
      cs.push({
        op: 'eu.insert',
        row: euRow('eu_b1', { name: 'b', version: '1.0.0', publishedAt: 3, owner: 'acct_1' }),
      });
      cs.push({ op: 'eu.insert', row: euRow('eu_a1', { name: 'a', version: '1.0.0', publishedAt: 9 }) });
      await ctx.store.commit(cs);
      expect(await ctx.store.getEu('eu_b1')).toEqual(
        euRow('eu_b1', { name: 'b', version: '1.0.0', publishedAt: 3, owner: 'acct_1' }),
      );
      expect((await ctx.store.findEu('b', '2.0.0'))?.id).toBe('eu_b2');
      expect(await ctx.store.findEu('b', '3.0.0')).toBeUndefined();
      expect(await ctx.store.getEu('eu_none')).toBeUndefined();
      expect((await ctx.store.listEus()).map((e) => e.id)).toEqual(['eu_a1', 'eu_b1', 'eu_b2']);
    });
  });

  describe('tasks', () => {
    it('reads a task back whole, input included', async () => {
      const cs = withEu();
      const row = taskRow('t1', {
        status: 'verified',
        outputHash: 'o',
        resultAssignmentId: 'a1',
        failureMessage: null,
        finishedAt: 7,
      });
      cs.push({ op: 'task.insert', row });
      await ctx.store.commit(cs);
      expect(await ctx.store.getTask('t1')).toEqual(row);
      expect(await ctx.store.getTask('nope')).toBeUndefined();
    });

    it('updates only the given fields, and pages open tasks by key', async () => {
      const store = ctx.store;
      const cs = withEu();
      for (let i = 0; i < 5; i++) cs.push({ op: 'task.insert', row: taskRow(`t${i}`, { submittedAt: i }) });
      cs.push({ op: 'task.update', id: 't1', set: { status: 'verified', outputHash: 'o', finishedAt: 9 } });
      await store.commit(cs);
      const t1 = await store.getTask('t1');
      expect(t1).toMatchObject({ status: 'verified', outputHash: 'o', finishedAt: 9, quorum: 2 });
      expect((await store.loadOpenTasks()).map((t) => t.id)).toEqual(['t0', 't2', 't3', 't4']);
      expect((await store.listTasks({ after: 't2', limit: 10 })).map((t) => t.id)).toEqual(['t3', 't4']);
      expect((await store.listTasks({ status: 'verified', limit: 10 })).map((t) => t.id)).toEqual(['t1']);
      expect((await store.countTasksByStatus()).pending).toBe(4);
    });

    it('lists tasks by status, EU and owner, in submission order, paged by key, without input', async () => {
      const cs = withEu();
      cs.push({ op: 'eu.insert', row: euRow('eu_2', { name: 'f' }) });
      // Two tasks submitted in the same ms are ordered by id.
      cs.push({ op: 'task.insert', row: taskRow('t_b', { submittedAt: 2 }) });
      cs.push({ op: 'task.insert', row: taskRow('t_a', { submittedAt: 2 }) });
      cs.push({ op: 'task.insert', row: taskRow('t_c', { submittedAt: 1, euId: 'eu_2' }) });
      cs.push({ op: 'task.insert', row: taskRow('t_d', { submittedAt: 3, owner: 'acct_2' }) });
      cs.push({ op: 'task.insert', row: taskRow('t_e', { submittedAt: 4, status: 'failed', failure: 'eu_error' }) });
      await ctx.store.commit(cs);
      const ids = async (filter: Parameters<typeof ctx.store.listTasks>[0]) =>
        (await ctx.store.listTasks(filter)).map((t) => t.id);
      expect(await ids({ limit: 10 })).toEqual(['t_c', 't_a', 't_b', 't_d', 't_e']);
      expect(await ids({ limit: 2 })).toEqual(['t_c', 't_a']);
      expect(await ids({ limit: 2, after: 't_a' })).toEqual(['t_b', 't_d']);
      expect(await ids({ limit: 2, after: 't_d' })).toEqual(['t_e']);
      expect(await ids({ limit: 10, euId: 'eu_1' })).toEqual(['t_a', 't_b', 't_d', 't_e']);
      expect(await ids({ limit: 10, euId: 'eu_1', owner: 'acct_1', status: 'pending' })).toEqual(['t_a', 't_b']);
      expect(await ids({ limit: 10, owner: 'acct_1', after: 't_a' })).toEqual(['t_b', 't_e']);
      expect(await ids({ limit: 10, status: 'failed' })).toEqual(['t_e']);
      expect(await ids({ limit: 10, owner: 'nobody' })).toEqual([]);
      const listed = await ctx.store.listTasks({ limit: 1, status: 'failed' });
      expect(listed[0]).toEqual({
        ...taskRow('t_e', { submittedAt: 4, status: 'failed', failure: 'eu_error' }),
        input: '',
      });
    });

    it('gives inputs and owners of the tasks asked for, skipping unknown ids', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { input: '[1,2]', owner: 'acct_a' }) });
      cs.push({ op: 'task.insert', row: taskRow('t2', { input: '"x"', owner: 'anonymous' }) });
      await ctx.store.commit(cs);
      expect(await ctx.store.getTaskInputs(['t2', 'nope', 't1'])).toEqual(
        new Map([
          ['t2', '"x"'],
          ['t1', '[1,2]'],
        ]),
      );
      expect(await ctx.store.getTaskOwners(['t1', 'nope'])).toEqual(new Map([['t1', 'acct_a']]));
      expect(await ctx.store.getTaskInputs([])).toEqual(new Map());
    });

    it('counts tasks of every status, zero included', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { status: 'running' }) });
      cs.push({ op: 'task.insert', row: taskRow('t2', { status: 'running' }) });
      cs.push({ op: 'task.insert', row: taskRow('t3', { status: 'escalated' }) });
      await ctx.store.commit(cs);
      expect(await ctx.store.countTasksByStatus()).toEqual({
        pending: 0,
        running: 2,
        verifying: 0,
        escalated: 1,
        verified: 0,
        failed: 0,
      });
    });

    it('loads open tasks oldest first without their inputs', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { submittedAt: 5, status: 'verifying' }) });
      cs.push({ op: 'task.insert', row: taskRow('t2', { submittedAt: 1, status: 'escalated' }) });
      cs.push({ op: 'task.insert', row: taskRow('t3', { submittedAt: 2, status: 'verified' }) });
      cs.push({ op: 'task.insert', row: taskRow('t4', { submittedAt: 3, status: 'failed' }) });
      cs.push({ op: 'task.insert', row: taskRow('t5', { submittedAt: 4 }) });
      await ctx.store.commit(cs);
      const open = await ctx.store.loadOpenTasks();
      expect(open.map((t) => t.id)).toEqual(['t2', 't5', 't1']);
      expect(open.every((t) => t.input === '')).toBe(true);
    });
  });

  describe('assignments', () => {
    it('reads assignments by id and by task in attempt order, and loads those of open tasks', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { status: 'running', attempts: 2 }) });
      cs.push({ op: 'task.insert', row: taskRow('t0', { status: 'verified', attempts: 1 }) });
      const full = assignmentRow('a2', 't1', 2, {
        status: 'submitted',
        finishedAt: 20,
        output: '{"y":1}',
        outputHash: 'oh',
        errorCode: null,
        signature: 'sig',
        signatureProof: '["Lab"]',
        durationMs: 1.5,
        cpuMs: 1.25,
        memoryMb: 3,
        endReason: null,
      });
      cs.push({ op: 'assignment.insert', row: full });
      cs.push({
        op: 'assignment.insert',
        row: assignmentRow('a1', 't1', 1, { status: 'expired', endReason: 'lease_deadline' }),
      });
      cs.push({ op: 'assignment.insert', row: assignmentRow('a0', 't0', 1, { status: 'accepted' }) });
      await ctx.store.commit(cs);
      expect(await ctx.store.getAssignment('a2')).toEqual(full);
      expect(await ctx.store.getAssignment('nope')).toBeUndefined();
      expect((await ctx.store.listAssignments('t1')).map((a) => a.id)).toEqual(['a1', 'a2']);
      expect(await ctx.store.listAssignments('nope')).toEqual([]);
      expect((await ctx.store.loadAssignmentsOfOpenTasks()).map((a) => a.id)).toEqual(['a1', 'a2']);
    });

    it('refuses a second assignment with the same task and attempt', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.push({ op: 'assignment.insert', row: assignmentRow('a1', 't1', 1) });
      await ctx.store.commit(cs);
      const again = new ChangeSet();
      again.push({ op: 'assignment.insert', row: assignmentRow('a1b', 't1', 1) });
      await expect(ctx.store.commit(again)).rejects.toThrow();
      expect((await ctx.store.listAssignments('t1')).map((a) => a.id)).toEqual(['a1']);
    });
  });
}
