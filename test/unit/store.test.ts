/**
 * The Store contract, run against every backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChangeSet, SqliteStore, type Store, type TaskRow } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

const backends: { name: string; open: (dir: string) => Promise<Store> }[] = [
  { name: 'sqlite', open: async (dir) => { const s = new SqliteStore({ dir }); await s.migrate(); return s; } },
];

function taskRow(id: string, over: Partial<TaskRow> = {}): TaskRow {
  return {
    id, euId: 'eu_1', status: 'pending', input: '{"n":1}', inputHash: 'h', seed: 's', clock: 1, quorum: 2, maxReplicas: 5, replicas: 2,
    attempts: 0, outputHash: null, resultAssignmentId: null, failure: null, failureMessage: null, submittedAt: 1, updatedAt: 1, finishedAt: null,
    owner: 'acct_1', ...over,
  };
}

function withEu(): ChangeSet {
  const cs = new ChangeSet();
  cs.push({ op: 'eu.insert', row: { id: 'eu_1', name: 'e', version: '1.0.0', manifest: '{}', files: '{}', publishedAt: 1, owner: 'network' } });
  return cs;
}

for (const backend of backends) {
  describe(`Store (${backend.name})`, () => {
    let store: Store;
    let dir: ReturnType<typeof tempDir>;
    beforeEach(async () => {
      dir = tempDir(`store-${backend.name}`);
      store = await backend.open(dir.path);
    });
    afterEach(async () => {
      await store.close();
      dir.cleanup(false);
    });

    it('commits a change set and its events together, numbering events in order', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      cs.push({ op: 'task.insert', row: taskRow('t2', { submittedAt: 2 }) });
      cs.event('task.submitted', 5, { taskId: 't2', euId: 'eu_1' }, { taskId: 't2' });
      const events = await store.commit(cs);
      expect(events.map((e) => e.seq)).toEqual([1, 2]);
      expect((await store.getTask('t1'))?.input).toBe('{"n":1}');
      expect(await store.listEvents({ after: 1, limit: 10 })).toEqual([events[1]]);
      expect((await store.listEvents({ after: 0, limit: 10, taskId: 't1' })).map((e) => e.seq)).toEqual([1]);
      expect(await store.lastEventSeq()).toBe(2);
      expect((await store.getTaskInputs(['t2', 'nope'])).get('t2')).toBe('{"n":1}');
    });

    it('rolls back the whole change set when one change fails', async () => {
      await store.commit(withEu());
      const cs = new ChangeSet();
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      cs.push({ op: 'task.update', id: 'missing', set: { status: 'running' } });
      await expect(store.commit(cs)).rejects.toThrow(/missing/);
      expect(await store.getTask('t1')).toBeUndefined();
      expect(await store.lastEventSeq()).toBe(0);
    });

    it('updates only the given fields, and pages open tasks by key', async () => {
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

    it('keeps every commit across close and reopen (checkpoints run off the writer)', async () => {
      const cs = withEu();
      for (let i = 0; i < 500; i++) {
        cs.push({ op: 'task.insert', row: taskRow(`t${i}`, { submittedAt: i }) });
        cs.event('task.submitted', 5, { taskId: `t${i}`, euId: 'eu_1' }, { taskId: `t${i}` });
      }
      await store.commit(cs);
      await store.close();
      store = await backend.open(dir.path);
      expect(await store.lastEventSeq()).toBe(500);
      expect((await store.loadOpenTasks()).length).toBe(500);
    });

    it('filters tasks by owner and events by who may read them', async () => {
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
      expect((await store.getTaskOwners(['t1', 't2', 'nope']))).toEqual(new Map([['t1', 'acct_a'], ['t2', 'anonymous']]));
      const seqs = async (visibleTo?: string | null) =>
        (await store.listEvents({ after: 0, limit: 10, ...(visibleTo !== undefined ? { visibleTo } : {}) })).map((e) => e.seq);
      expect(await seqs('acct_a')).toEqual([1, 3]);
      expect(await seqs('anonymous')).toEqual([2, 3]);
      expect(await seqs(null)).toEqual([3]);
      expect(await seqs()).toEqual([1, 2, 3, 4]);
      // An event nobody gave an owner is kept for the admin, never made public.
      expect(undecided!.owner).toBe('network');
      expect((await store.listEvents({ after: 3, limit: 1 }))[0]!.owner).toBe('network');
    });

    it('migrates idempotently', async () => {
      await store.migrate();
      const again = await backend.open(dir.path);
      await again.close();
      expect(await store.lastEventSeq()).toBe(0);
    });
  });
}
