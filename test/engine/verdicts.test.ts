/**
 * Verdicts in-process: exact quorum, dissent, escalation up to maxReplicas,
 * unverifiable, and an EU error agreed by a quorum.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness, type FakeOperator } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

/** Connects `n` operators in distinct regions. */
async function operators(n: number): Promise<FakeOperator[]> {
  const ops: FakeOperator[] = [];
  for (let i = 0; i < n; i++) ops.push(await h.connect({ region: `r${i}` }));
  return ops;
}

describe('verdicts', () => {
  it('verifies a task once quorum results agree, accepting both', async () => {
    h = await EngineHarness.start('quorum');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3 }));
    const [a, b] = await operators(2);
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const la = a!.takeOne();
    const lb = b!.takeOne();
    await a!.complete(la, { v: 1 });
    expect(h.task(taskId!)!.status).toBe('verifying');
    expect(h.of('verification.progress')).toEqual([expect.objectContaining({ results: 1, quorum: 2, leading: 1 })]);
    await b!.complete(lb, { v: 1 });
    const row = await h.taskRow(taskId!);
    expect(row).toMatchObject({ status: 'verified', resultAssignmentId: la.assignmentId });
    expect(h.of('task.verified')).toEqual([
      expect.objectContaining({ taskId, agreeing: [a!.id, b!.id], dissenting: [] }),
    ]);
    const statuses = (await h.store.listAssignments(taskId!)).map((r) => r.status);
    expect(statuses).toEqual(['accepted', 'accepted']);
  });

  it('escalates a disagreement to one more replica and rejects the dissenter when it breaks the tie', async () => {
    h = await EngineHarness.start('dissent');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3 }));
    const [a, b] = await operators(2);
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    await a!.complete(a!.takeOne(), { v: 1 });
    await b!.complete(b!.takeOne(), { v: 666 });
    expect(h.task(taskId!)).toMatchObject({ status: 'escalated', replicas: 3 });
    expect(h.of('task.escalated')).toEqual([expect.objectContaining({ taskId, replicas: 3 })]);
    const [c] = await operators(1);
    await c!.complete(c!.takeOne(), { v: 1 });
    expect(h.of('task.verified')).toEqual([
      expect.objectContaining({ taskId, agreeing: [a!.id, c!.id], dissenting: [b!.id] }),
    ]);
    const byOp = new Map((await h.store.listAssignments(taskId!)).map((r) => [r.operatorId, r.status]));
    expect(Object.fromEntries(byOp)).toEqual({ [a!.id]: 'accepted', [b!.id]: 'rejected', [c!.id]: 'accepted' });
  });

  it('escalates one replica at a time up to maxReplicas, then fails the task as unverifiable', async () => {
    h = await EngineHarness.start('unverifiable');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 4 }));
    const ops = await operators(4);
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const replicas: number[] = [];
    for (const [i, op] of ops.entries()) {
      await op.complete(op.takeOne(), { v: i });
      replicas.push(h.task(taskId!)?.replicas ?? -1);
    }
    expect(replicas.slice(0, 3)).toEqual([2, 3, 4]);
    expect(h.of('task.escalated').map((e) => e.replicas)).toEqual([3, 4]);
    expect(await h.taskRow(taskId!)).toMatchObject({ status: 'failed', failure: 'unverifiable', replicas: 4 });
    expect((await h.store.listAssignments(taskId!)).every((r) => r.status === 'rejected')).toBe(true);
  });

  it('fails early as unverifiable when no output can reach quorum within maxReplicas', async () => {
    h = await EngineHarness.start('early-unverifiable');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 2 }));
    const [a, b] = await operators(2);
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    await a!.complete(a!.takeOne(), { v: 1 });
    await b!.complete(b!.takeOne(), { v: 2 });
    expect(h.of('task.escalated')).toEqual([]);
    expect(await h.taskRow(taskId!)).toMatchObject({ status: 'failed', failure: 'unverifiable' });
  });

  it('fails a task as eu_error when a quorum reports the same EU error, accepting their results', async () => {
    h = await EngineHarness.start('eu-error');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3 }));
    const [a, b] = await operators(2);
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const la = a!.takeOne();
    const lb = b!.takeOne();
    await a!.send(a!.result(la, null, { error: 'EU_THREW' }));
    await b!.send(b!.result(lb, null, { error: 'EU_THREW' }));
    expect(await h.taskRow(taskId!)).toMatchObject({ status: 'failed', failure: 'eu_error' });
    expect(h.of('task.failed')).toEqual([expect.objectContaining({ reason: 'eu_error', agreeing: [a!.id, b!.id] })]);
    expect((await h.store.listAssignments(taskId!)).map((r) => r.status)).toEqual(['accepted', 'accepted']);
  });

  it("spreads a task's replicas over distinct regions and never gives two replicas to one operator", async () => {
    h = await EngineHarness.start('spread');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3 }));
    const west1 = await h.connect({ region: 'west' });
    const west2 = await h.connect({ region: 'west' });
    const east = await h.connect({ region: 'east' });
    await h.submit(eu, [{ n: 1 }]);
    const got = [west1, west2, east].map((op) => op.take().length);
    expect(got[2]).toBe(1);
    expect(got[0]! + got[1]!).toBe(1);
  });
});
