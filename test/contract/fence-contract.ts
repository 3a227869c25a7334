/**
 * The Store contract for the lease fence: an assignment update lands only
 * on a row still at the attempt and status it expects. Otherwise the store
 * changes nothing (the whole change set, events included) and says so with
 * STALE_FENCE, naming the assignment, what was expected and what was found.
 */
import { describe, expect, it } from 'vitest';
import { CortenError } from '../../src/protocol/index.js';
import { ChangeSet, type AssignmentFence, type Store } from '../../src/store/index.js';
import { assignmentRow, withLease, type StoreContext } from './store-fixtures.js';

const LEASED: AssignmentFence = { attempt: 1, status: 'leased' };

/** A change set that would end lease a1 as `fence` expects, with a task write and an event around it. */
function endLease(fence: AssignmentFence): ChangeSet {
  const cs = new ChangeSet();
  cs.push({ op: 'task.update', id: 't1', set: { status: 'pending', updatedAt: 50 } });
  cs.push({
    op: 'assignment.update',
    id: 'a1',
    fence,
    set: { status: 'expired', finishedAt: 50, endReason: 'lease_deadline' },
  });
  cs.event(
    'assignment.expired',
    50,
    { taskId: 't1', assignmentId: 'a1', operatorId: 'op_1', reason: 'lease_deadline' },
    { taskId: 't1' },
  );
  return cs;
}

async function staleFence(store: Store, changes: ChangeSet): Promise<CortenError> {
  const thrown = await store.commit(changes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(thrown).toBeInstanceOf(CortenError);
  const error = thrown as CortenError;
  expect(error.code).toBe('STALE_FENCE');
  return error;
}

/** The lease as withLease left it, and no event: what "nothing changed" means here. */
async function expectUntouched(store: Store): Promise<void> {
  expect(await store.getAssignment('a1')).toEqual(assignmentRow('a1', 't1', 1));
  expect((await store.getTask('t1'))?.status).toBe('running');
  expect(await store.lastEventSeq()).toBe(0);
}

export function describeFenceContract(ctx: StoreContext): void {
  describe('the lease fence', () => {
    it('applies an update whose fence matches the row', async () => {
      await ctx.store.commit(withLease());
      const events = await ctx.store.commit(endLease(LEASED));
      expect(events.map((e) => e.seq)).toEqual([1]);
      expect(await ctx.store.getAssignment('a1')).toMatchObject({
        status: 'expired',
        finishedAt: 50,
        endReason: 'lease_deadline',
        attempt: 1,
      });
      expect((await ctx.store.getTask('t1'))?.status).toBe('pending');
    });

    it('changes nothing when the expected status is stale, and names the assignment, fence and row', async () => {
      await ctx.store.commit(withLease());
      const error = await staleFence(ctx.store, endLease({ attempt: 1, status: 'submitted' }));
      expect(error.details).toEqual({
        assignmentId: 'a1',
        expected: { attempt: 1, status: 'submitted' },
        found: LEASED,
      });
      expect(error.message).toMatch(/a1/);
      await expectUntouched(ctx.store);
    });

    it('changes nothing when the expected attempt is stale', async () => {
      await ctx.store.commit(withLease());
      const error = await staleFence(ctx.store, endLease({ attempt: 2, status: 'leased' }));
      expect(error.details).toEqual({ assignmentId: 'a1', expected: { attempt: 2, status: 'leased' }, found: LEASED });
      await expectUntouched(ctx.store);
    });

    it('refuses an update of an assignment the store does not hold, finding nothing', async () => {
      await ctx.store.commit(withLease());
      const cs = new ChangeSet();
      cs.push({ op: 'assignment.update', id: 'a_none', fence: LEASED, set: { status: 'expired' } });
      const error = await staleFence(ctx.store, cs);
      expect(error.details).toEqual({ assignmentId: 'a_none', expected: LEASED, found: null });
    });

    it('checks the fence of an update that sets no field', async () => {
      await ctx.store.commit(withLease());
      const cs = new ChangeSet();
      cs.push({ op: 'assignment.update', id: 'a1', fence: LEASED, set: {} });
      await ctx.store.commit(cs);
      const stale = new ChangeSet();
      stale.push({ op: 'assignment.update', id: 'a1', fence: { attempt: 1, status: 'expired' }, set: {} });
      await staleFence(ctx.store, stale);
      expect(await ctx.store.getAssignment('a1')).toEqual(assignmentRow('a1', 't1', 1));
    });

    it('fences every update of a commit against the row as the commit left it so far', async () => {
      await ctx.store.commit(withLease());
      const cs = new ChangeSet();
      cs.push({ op: 'assignment.update', id: 'a1', fence: LEASED, set: { status: 'submitted', finishedAt: 40 } });
      cs.push({
        op: 'assignment.update',
        id: 'a1',
        fence: { attempt: 1, status: 'submitted' },
        set: { status: 'accepted' },
      });
      await ctx.store.commit(cs);
      expect(await ctx.store.getAssignment('a1')).toMatchObject({ status: 'accepted', finishedAt: 40 });
      // The same pair again: the first update's fence is stale now, and the second would no longer match either.
      await staleFence(ctx.store, cs);
      expect((await ctx.store.getAssignment('a1'))?.status).toBe('accepted');
    });

    it('lets a lease inserted earlier in the same commit be updated under its fence', async () => {
      const cs = withLease();
      cs.push({
        op: 'assignment.update',
        id: 'a1',
        fence: LEASED,
        set: { status: 'cancelled', endReason: 'verified' },
      });
      await ctx.store.commit(cs);
      expect((await ctx.store.getAssignment('a1'))?.status).toBe('cancelled');
    });

    it('holds the fence against another writer of the same place: the stale one changes nothing', async () => {
      await ctx.store.commit(withLease());
      const other = await ctx.open();
      await other.commit(endLease(LEASED));
      const late = new ChangeSet();
      late.push({ op: 'assignment.update', id: 'a1', fence: LEASED, set: { status: 'submitted', outputHash: 'late' } });
      late.event('result.received', 60, {
        taskId: 't1',
        assignmentId: 'a1',
        operatorId: 'op_1',
        outputHash: 'late',
        durationMs: 1,
      });
      const error = await staleFence(ctx.store, late);
      expect(error.details).toMatchObject({ found: { attempt: 1, status: 'expired' } });
      expect(await ctx.store.getAssignment('a1')).toMatchObject({ status: 'expired', outputHash: null });
      expect(await ctx.store.lastEventSeq()).toBe(1);
    });
  });
}
