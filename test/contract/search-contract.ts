/**
 * The Store contract for task search: the filters of GET /v1/tasks (id prefix, failure,
 * operator, region, time), both orders with keyset paging, and counts by status and failure.
 */
import { describe, expect, it } from 'vitest';
import { OPERATOR_WALK_THRESHOLD, type TaskFilter } from '../../src/store/index.js';
import { assignmentRow, operatorRow, taskRow, withEu, type StoreContext } from './store-fixtures.js';

export function describeSearchContract(ctx: StoreContext): void {
  describe('task search', () => {
    /** Five tasks: t_1..t_5 submitted at 10..50; t_2 and t_4 ran on op_w (eu-west), t_3 on op_u (us-east). */
    async function seed(): Promise<void> {
      const cs = withEu();
      cs.push({ op: 'operator.upsert', row: operatorRow('op_w', { region: 'eu-west' }) });
      cs.push({ op: 'operator.upsert', row: operatorRow('op_u', { region: 'us-east' }) });
      cs.push({ op: 'task.insert', row: taskRow('t_1', { submittedAt: 10 }) });
      cs.push({
        op: 'task.insert',
        row: taskRow('t_2', { submittedAt: 20, status: 'failed', failure: 'unverifiable' }),
      });
      cs.push({ op: 'task.insert', row: taskRow('t_3', { submittedAt: 30, status: 'failed', failure: 'eu_error' }) });
      cs.push({ op: 'task.insert', row: taskRow('t_4', { submittedAt: 40, status: 'verified', owner: 'acct_2' }) });
      cs.push({ op: 'task.insert', row: taskRow('u_5', { submittedAt: 50 }) });
      cs.push({ op: 'assignment.insert', row: assignmentRow('a_2', 't_2', 1, { operatorId: 'op_w' }) });
      cs.push({ op: 'assignment.insert', row: assignmentRow('a_2b', 't_2', 2, { operatorId: 'op_w' }) });
      cs.push({ op: 'assignment.insert', row: assignmentRow('a_3', 't_3', 1, { operatorId: 'op_u' }) });
      cs.push({ op: 'assignment.insert', row: assignmentRow('a_4', 't_4', 1, { operatorId: 'op_w' }) });
      await ctx.store.commit(cs);
    }
    const ids = async (filter: Omit<TaskFilter, 'limit'> & { limit?: number }) =>
      (await ctx.store.listTasks({ limit: 10, ...filter })).map((t) => t.id);

    it('filters by id prefix, failure, operator, region and submission time, and combines them', async () => {
      await seed();
      expect(await ids({ idPrefix: 't_' })).toEqual(['t_1', 't_2', 't_3', 't_4']);
      expect(await ids({ idPrefix: 't_3' })).toEqual(['t_3']);
      expect(await ids({ idPrefix: 'u' })).toEqual(['u_5']);
      expect(await ids({ idPrefix: 'nope' })).toEqual([]);
      expect(await ids({ failure: 'unverifiable' })).toEqual(['t_2']);
      expect(await ids({ status: 'failed', failure: 'eu_error' })).toEqual(['t_3']);
      // A task with two assignments on one operator is listed once.
      expect(await ids({ operatorId: 'op_w' })).toEqual(['t_2', 't_4']);
      expect(await ids({ operatorId: 'op_none' })).toEqual([]);
      expect(await ids({ region: 'us-east' })).toEqual(['t_3']);
      expect(await ids({ region: 'eu-west', owner: 'acct_1' })).toEqual(['t_2']);
      expect(await ids({ region: 'mars' })).toEqual([]);
      expect(await ids({ since: 20, until: 40 })).toEqual(['t_2', 't_3']);
      expect(await ids({ since: 41 })).toEqual(['u_5']);
      expect(await ids({ until: 10 })).toEqual([]);
      expect(await ids({ operatorId: 'op_w', since: 30, status: 'verified' })).toEqual(['t_4']);
    });

    it('lists newest first with order desc, and pages by key in either order', async () => {
      await seed();
      expect(await ids({ order: 'desc' })).toEqual(['u_5', 't_4', 't_3', 't_2', 't_1']);
      expect(await ids({ order: 'desc', limit: 2 })).toEqual(['u_5', 't_4']);
      expect(await ids({ order: 'desc', limit: 2, after: 't_4' })).toEqual(['t_3', 't_2']);
      expect(await ids({ order: 'desc', limit: 2, after: 't_2' })).toEqual(['t_1']);
      expect(await ids({ order: 'desc', after: 't_1' })).toEqual([]);
      expect(await ids({ order: 'asc', limit: 2, after: 't_2' })).toEqual(['t_3', 't_4']);
      expect(await ids({ order: 'desc', operatorId: 'op_w', after: 't_4' })).toEqual(['t_2']);
      // An unknown cursor matches nothing rather than restarting the listing.
      expect(await ids({ after: 'nope' })).toEqual([]);
      // Hostile text is a value, never SQL.
      expect(await ids({ idPrefix: "' OR 1=1 --" })).toEqual([]);
      expect(await ids({ region: "x') OR ('1'='1" })).toEqual([]);
    });

    it('lists an operator of many tasks (past the walk threshold) like one of few', async () => {
      const cs = withEu();
      const n = OPERATOR_WALK_THRESHOLD + 100;
      for (let i = 0; i < n; i++) {
        const id = `t_${String(i).padStart(5, '0')}`;
        cs.push({ op: 'task.insert', row: taskRow(id, { submittedAt: i, owner: i % 2 ? 'acct_1' : 'acct_2' }) });
        // Every third task did not run on op_big.
        const operatorId = i % 3 === 0 ? 'op_small' : 'op_big';
        cs.push({ op: 'assignment.insert', row: assignmentRow(`a_${i}`, id, 1, { operatorId }) });
      }
      await ctx.store.commit(cs);
      const expected = (from: number, owner?: string) => {
        const out: string[] = [];
        for (let i = from; i >= 0 && out.length < 3; i--) {
          if (i % 3 !== 0 && (!owner || (i % 2 ? 'acct_1' : 'acct_2') === owner))
            out.push(`t_${String(i).padStart(5, '0')}`);
        }
        return out;
      };
      expect(await ids({ operatorId: 'op_big', order: 'desc', limit: 3 })).toEqual(expected(n - 1));
      const page = await ids({ operatorId: 'op_big', order: 'desc', limit: 3, after: 't_01000' });
      expect(page).toEqual(expected(999));
      expect(await ids({ operatorId: 'op_big', owner: 'acct_2', order: 'desc', limit: 3 })).toEqual(
        expected(n - 1, 'acct_2'),
      );
      expect(await ids({ operatorId: 'op_small', limit: 2 })).toEqual(['t_00000', 't_00003']);
    });

    it("counts tasks by status and failures by reason, everyone's or one owner's", async () => {
      await seed();
      const all = await ctx.store.countTasks();
      expect(all.byStatus).toEqual({ pending: 2, running: 0, verifying: 0, escalated: 0, verified: 1, failed: 2 });
      expect(all.failures).toEqual({ unverifiable: 1, eu_error: 1 });
      const mine = await ctx.store.countTasks('acct_2');
      expect(mine.byStatus.verified).toBe(1);
      expect(Object.values(mine.byStatus).reduce((a, b) => a + b, 0)).toBe(1);
      expect(mine.failures).toEqual({});
      expect((await ctx.store.countTasks('nobody')).byStatus.pending).toBe(0);
    });
  });
}
