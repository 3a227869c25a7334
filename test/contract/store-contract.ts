/**
 * The Store contract: what every backend of `Store` (src/store/store.ts)
 * must do, run against each of them. A backend joins with one line in a test
 * file of this folder:
 *
 *   describeStoreContract('sqlite', (dir, options) => new SqliteStore({ dir, ...options }));
 *
 * The sections: the store's life (migrations, commits and their events,
 * atomicity, read-only opening), tasks and assignments with the lease fence,
 * operators, regions and meta, events and who may read them, the trust reads, and
 * workflows and jobs.
 */
import { describe, expect, it } from 'vitest';
import { CortenError } from '../../src/protocol/index.js';
import { ChangeSet } from '../../src/store/index.js';
import { describeEventsContract } from './events-contract.js';
import { describeFenceContract } from './fence-contract.js';
import { describeRecordsContract } from './records-contract.js';
import { describeSearchContract } from './search-contract.js';
import { storeContext, taskRow, withEu, type OpenStore, type StoreContext } from './store-fixtures.js';
import { describeTasksContract } from './tasks-contract.js';
import { describeTrustContract } from './trust-contract.js';
import { describeWebhooksContract } from './webhooks-contract.js';
import { describeWorkflowsContract } from './workflows-contract.js';

export type { OpenStore } from './store-fixtures.js';

export function describeStoreContract(name: string, open: OpenStore): void {
  describe(`Store contract (${name})`, () => {
    const ctx = storeContext(name, open);
    describeLife(ctx);
    describeTasksContract(ctx);
    describeSearchContract(ctx);
    describeFenceContract(ctx);
    describeRecordsContract(ctx);
    describeEventsContract(ctx);
    describeTrustContract(ctx);
    describeWebhooksContract(ctx);
    describeWorkflowsContract(ctx);
  });
}

function describeLife(ctx: StoreContext): void {
  describe('migrations', () => {
    it('migrates idempotently: again on the same store, and from a second store on the same place', async () => {
      await ctx.store.commit(withEu());
      await ctx.store.migrate();
      const again = await ctx.open();
      expect((await again.getEu('eu_1'))?.name).toBe('e');
      expect(await ctx.store.lastEventSeq()).toBe(0);
    });

    it('lets two stores migrate the same fresh place at once, and both work after', async () => {
      const a = await ctx.open({ migrate: false });
      const b = await ctx.open({ migrate: false });
      await Promise.all([a.migrate(), b.migrate()]);
      const first = withEu();
      first.event('eu.published', 1, { euId: 'eu_1', name: 'e', version: '1.0.0' });
      expect((await a.commit(first)).map((e) => e.seq)).toEqual([1]);
      const second = new ChangeSet();
      second.push({ op: 'task.insert', row: taskRow('t1') });
      second.event('task.submitted', 2, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      expect((await b.commit(second)).map((e) => e.seq)).toEqual([2]);
      expect((await a.getTask('t1'))?.euId).toBe('eu_1');
    });
  });

  describe('commits', () => {
    it('commits a change set and its events together, numbering events in order', async () => {
      const store = ctx.store;
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

    it('returns each event as stored, and numbers events without gaps across commits', async () => {
      const store = ctx.store;
      const first = withEu();
      first.event('eu.published', 3, { euId: 'eu_1', name: 'e', version: '1.0.0' });
      first.event('operator.draining', 4, { operatorId: 'op_1' }, { operatorId: 'op_1' });
      const [published, draining] = await store.commit(first);
      expect(published).toEqual({
        seq: 1,
        type: 'eu.published',
        ts: 3,
        taskId: null,
        operatorId: null,
        owner: 'network',
        data: { euId: 'eu_1', name: 'e', version: '1.0.0' },
      });
      expect(draining).toMatchObject({ seq: 2, operatorId: 'op_1', data: { operatorId: 'op_1' } });
      // A commit without events numbers nothing; the next event follows on.
      const quiet = new ChangeSet();
      quiet.push({ op: 'meta.set', key: 'k', value: 'v' });
      expect(await store.commit(quiet)).toEqual([]);
      const next = new ChangeSet();
      next.push({ op: 'task.insert', row: taskRow('t1') });
      next.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      next.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      expect((await store.commit(next)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await store.listEvents({ after: 0, limit: 10 })).toEqual([
        published,
        draining,
        ...(await store.listEvents({ after: 2, limit: 10 })),
      ]);
      expect(await store.lastEventSeq()).toBe(4);
    });

    it('rolls back the whole change set when one change fails', async () => {
      const store = ctx.store;
      await store.commit(withEu());
      const cs = new ChangeSet();
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      cs.push({ op: 'task.update', id: 'missing', set: { status: 'running' } });
      await expect(store.commit(cs)).rejects.toThrow(/missing/);
      expect(await store.getTask('t1')).toBeUndefined();
      expect(await store.lastEventSeq()).toBe(0);
    });

    it('rolls back every kind of write of a failed commit; the next event follows the last committed', async () => {
      const store = ctx.store;
      const committed = withEu();
      committed.event('eu.published', 1, { euId: 'eu_1', name: 'e', version: '1.0.0' });
      await store.commit(committed);
      const cs = new ChangeSet();
      cs.push({ op: 'meta.set', key: 'k', value: 'v' });
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.push({ op: 'account.insert', row: { id: 'acct_1', name: 'a', keyHash: 'kh', createdAt: 1 } });
      cs.push({ op: 'ledger.balance', account: 'dev:acct_1', balance: 5, updatedAt: 1 });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      // The same EU again breaks a unique key: the commit fails last, after every other write.
      cs.push({
        op: 'eu.insert',
        row: { id: 'eu_1', name: 'e', version: '1.0.0', manifest: '{}', files: '{}', publishedAt: 1, owner: 'network' },
      });
      await expect(store.commit(cs)).rejects.toThrow();
      expect(await store.getMeta('k')).toBeUndefined();
      expect(await store.getTask('t1')).toBeUndefined();
      expect(await store.trust.getAccount('acct_1')).toBeUndefined();
      expect((await store.trust.loadLedger()).balances.size).toBe(0);
      expect(await store.lastEventSeq()).toBe(1);
      const next = new ChangeSet();
      next.event('coordinator.started', 9, {
        coordinatorId: 'co_1',
        downtimeMs: 0,
        recoveredTasks: 0,
        recoveredLeases: 0,
      });
      expect((await store.commit(next)).map((e) => e.seq)).toEqual([2]);
    });

    it('keeps every commit across close and reopen (checkpoints run off the writer)', async () => {
      const cs = withEu();
      for (let i = 0; i < 500; i++) {
        cs.push({ op: 'task.insert', row: taskRow(`t${i}`, { submittedAt: i }) });
        cs.event('task.submitted', 5, { taskId: `t${i}`, euId: 'eu_1' }, { taskId: `t${i}` });
      }
      await ctx.store.commit(cs);
      const store = await ctx.reopen();
      expect(await store.lastEventSeq()).toBe(500);
      expect((await store.loadOpenTasks()).length).toBe(500);
    });
  });

  describe('read-only opening', () => {
    it('refuses a place without a store with NO_DATA, and creates nothing there', async () => {
      const empty = ctx.emptyPlace();
      const refused = await ctx.openAt(empty, { readonly: true }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(CortenError);
      expect((refused as CortenError).code).toBe('NO_DATA');
      // A writer at the same place afterwards finds it fresh.
      const writer = await ctx.openAt(empty, {});
      await writer.migrate();
      expect(await writer.lastEventSeq()).toBe(0);
    });

    it('reads what a writer committed, and refuses every write', async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1') });
      cs.event('task.submitted', 5, { taskId: 't1', euId: 'eu_1' }, { taskId: 't1' });
      await ctx.store.commit(cs);
      const reader = await ctx.open({ readonly: true });
      expect((await reader.getTask('t1'))?.input).toBe('{"n":1}');
      expect(await reader.lastEventSeq()).toBe(1);
      const write = new ChangeSet();
      write.push({ op: 'meta.set', key: 'k', value: 'v' });
      await expect(reader.commit(write)).rejects.toThrow();
      expect(await ctx.store.getMeta('k')).toBeUndefined();
    });
  });
}
