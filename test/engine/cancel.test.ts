/**
 * Cancelling an open task in-process: its live leases are cancelled and their operators
 * told, an unjudged result is set aside without blame, the task fails as `cancelled` once,
 * the escrow comes back whole, and nobody is paid or slashed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escrowAccount, stakeAccount } from '../../src/protocol/index.js';
import { NETWORK_OWNER } from '../../src/coordinator/economics/ownership.js';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

describe('cancel', () => {
  it('fails an open task as cancelled in one turn: leases cancelled, a result set aside, escrow refunded', async () => {
    h = await EngineHarness.start('cancel');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3, price: 10 }));
    const a = await h.connect({ region: 'r1' });
    const b = await h.connect({ region: 'r2' });
    await h.stake(a.id, 100);
    await h.stake(b.id, 100);
    const dev = await h.account(1000);
    const [taskId, other] = await h.submit(eu, [{ n: 1 }, { n: 2 }], dev);
    const first = a.take().find((x) => x.taskId === taskId)!;
    await a.complete(first, { v: 1 });
    const leased = b.take().find((x) => x.taskId === taskId)!;

    // Another owner's cancel changes nothing.
    expect(await h.engine.cancelTasks([taskId!], 'acct_someone_else')).toEqual([]);
    expect(h.task(taskId!)).toBeDefined();

    expect(await h.engine.cancelTasks([taskId!, taskId!, 't_unknown'], NETWORK_OWNER)).toEqual([taskId]);
    await h.idle();
    expect(b.cancelled()).toContain(leased.assignmentId);
    const row = await h.taskRow(taskId!);
    expect(row).toMatchObject({ status: 'failed', failure: 'cancelled' });
    const assignments = await h.store.listAssignments(taskId!);
    expect(assignments.map((x) => [x.operatorId, x.status, x.endReason])).toEqual([
      [a.id, 'rejected', 'undecided'],
      [b.id, 'cancelled', 'cancelled'],
    ]);
    expect(h.of('task.failed')).toEqual([expect.objectContaining({ taskId, reason: 'cancelled' })]);
    // The other task still holds its escrow; the cancelled one's came back whole.
    expect(h.balance(escrowAccount(dev))).toBe(20);
    expect(h.devBalance(dev)).toBe(1000 - 20);
    expect(h.of('ledger.slashed')).toEqual([]);
    expect(h.of('ledger.rewarded')).toEqual([]);
    expect(h.balance(stakeAccount(a.id)) + h.balance(stakeAccount(b.id))).toBe(200);

    // A late result for the cancelled lease is refused and counts for nothing; a second cancel finds nothing open.
    await b.complete(leased, { v: 1 });
    expect(b.refused().map((r) => r.assignmentId)).toContain(leased.assignmentId);
    expect(await h.engine.cancelTasks([taskId!], null)).toEqual([]);
    expect(h.task(other!)).toBeDefined();
    expect((await h.audit()).ok).toBe(true);
  });
});
