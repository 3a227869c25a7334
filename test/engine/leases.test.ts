/**
 * Leases in-process: grant, the fencing token, expiry on the deadline,
 * attempts, releases. A fake clock, fake connections, a real engine and store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

/** timeoutMs of the test EU: the lease is this plus the config's leaseGraceMs. */
const TIMEOUT_MS = 1000;

describe('leases', () => {
  it('grants a lease with attempt 1 as fencing token and a deadline of timeout plus grace, persisted', async () => {
    h = await EngineHarness.start('grant');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const op = await h.connect();
    const granted = h.now;
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const a = op.takeOne();
    expect(a).toMatchObject({ taskId, attempt: 1, leaseMs: TIMEOUT_MS + h.config.leaseGraceMs, euId: eu.id });
    const row = await h.store.getAssignment(a.assignmentId);
    expect(row).toMatchObject({
      status: 'leased',
      attempt: 1,
      leaseExpiresAt: granted + TIMEOUT_MS + h.config.leaseGraceMs,
    });
    expect((await h.taskRow(taskId!)).status).toBe('running');
    expect(h.of('task.assigned')).toEqual([expect.objectContaining({ taskId, operatorId: op.id, attempt: 1 })]);
  });

  it('does not expire a lease at its deadline, only after it', async () => {
    h = await EngineHarness.start('deadline-edge');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const op = await h.connect();
    await h.submit(eu, [{ n: 1 }]);
    const a = op.takeOne();
    const leaseMs = TIMEOUT_MS + h.config.leaseGraceMs;
    // Heartbeats keep the operator alive while the clock runs up to the deadline.
    for (let t = 0; t < leaseMs; t += 500) {
      h.advance(500);
      op.heartbeat();
      await h.reap();
    }
    expect(h.now).toBe(h.engine.assignments.get(a.assignmentId)!.leaseExpiresAt);
    expect(h.engine.assignments.get(a.assignmentId)!.status).toBe('leased');
    h.advance(1);
    op.heartbeat();
    await h.reap();
    expect(h.of('assignment.expired')).toEqual([
      expect.objectContaining({ assignmentId: a.assignmentId, reason: 'lease_deadline' }),
    ]);
    expect(op.cancelled()).toEqual([a.assignmentId]);
    expect((await h.store.getAssignment(a.assignmentId))!.status).toBe('expired');
  });

  it('reassigns an overdue lease with the next fencing token and refuses the old token', async () => {
    h = await EngineHarness.start('fence');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const slow = await h.connect();
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const first = slow.takeOne();
    const fast = await h.connect();
    h.advance(TIMEOUT_MS + h.config.leaseGraceMs + 1);
    slow.heartbeat();
    fast.heartbeat();
    await h.reap();
    const second = fast.takeOne();
    expect(second).toMatchObject({ taskId, attempt: 2 });
    expect(h.of('task.reassigned')).toEqual([
      expect.objectContaining({
        taskId,
        attempt: 2,
        operatorId: fast.id,
        replaces: expect.objectContaining({ reason: 'lease_deadline' }),
      }),
    ]);
    // The slow operator finishes late: its result carries the old token and never counts.
    await slow.complete(first);
    expect(slow.refused()).toEqual([
      expect.objectContaining({ assignmentId: first.assignmentId, code: 'LEASE_EXPIRED' }),
    ]);
    expect(h.of('result.received')).toEqual([]);
    await fast.complete(second);
    expect((await h.taskRow(taskId!)).status).toBe('verified');
  });

  it("refuses a result whose fencing token is not the lease's, even from its holder", async () => {
    h = await EngineHarness.start('token');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const op = await h.connect();
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const a = op.takeOne();
    await op.send(op.result(a, { n: 1 }, { attempt: a.attempt + 1 }));
    expect(op.refused()).toEqual([expect.objectContaining({ assignmentId: a.assignmentId, code: 'LEASE_EXPIRED' })]);
    expect(h.task(taskId!)!.status).toBe('running');
  });

  it('refuses a result for a lease another operator holds, and one signed with another key', async () => {
    h = await EngineHarness.start('not-held');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const holder = await h.connect();
    await h.submit(eu, [{ n: 1 }]);
    const a = holder.takeOne();
    const other = await h.connect();
    await other.send(other.result(a, { n: 1 }));
    expect(other.refused()).toEqual([expect.objectContaining({ code: 'ASSIGNMENT_NOT_HELD' })]);
    await holder.send(holder.result(a, { n: 1 }, { keys: other.keys }));
    expect(holder.refused()).toEqual([expect.objectContaining({ code: 'BAD_SIGNATURE' })]);
    expect(h.engine.assignments.get(a.assignmentId)!.status).toBe('leased');
  });

  it('fails a task whose charged attempts run out, as attempts_exhausted', async () => {
    h = await EngineHarness.start('exhausted', { maxAttemptsPerTask: 2 });
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const op = await h.connect();
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    for (let i = 0; i < 2; i++) {
      op.take();
      h.advance(TIMEOUT_MS + h.config.leaseGraceMs + 1);
      op.heartbeat();
      await h.reap();
    }
    const row = await h.taskRow(taskId!);
    expect(row).toMatchObject({ status: 'failed', failure: 'attempts_exhausted', attempts: 2 });
    expect(h.task(taskId!)).toBeUndefined();
  });

  it("does not charge a released lease to the task's attempts; the task goes to another operator", async () => {
    h = await EngineHarness.start('release', { maxAttemptsPerTask: 1 });
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const giver = await h.connect();
    const [taskId] = await h.submit(eu, [{ n: 1 }]);
    const a = giver.takeOne();
    const taker = await h.connect();
    await giver.release([a.assignmentId], 'cannot load the EU');
    expect(h.of('assignment.released')).toEqual([
      expect.objectContaining({ assignmentId: a.assignmentId, reason: 'cannot load the EU' }),
    ]);
    const b = taker.takeOne();
    expect(b.attempt).toBe(2);
    await taker.complete(b);
    expect((await h.taskRow(taskId!)).status).toBe('verified');
  });

  it('acknowledges a result re-sent after a reconnect without counting it twice', async () => {
    h = await EngineHarness.start('resend');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 2, timeoutMs: TIMEOUT_MS }));
    const op = await h.connect();
    await h.connect();
    await h.submit(eu, [{ n: 1 }]);
    const a = op.takeOne();
    const item = op.result(a, { n: 1 });
    await op.send(item);
    await op.send(item);
    expect(op.accepted()).toEqual([a.assignmentId, a.assignmentId]);
    expect(op.refused()).toEqual([]);
    expect(h.of('result.received')).toHaveLength(1);
  });
});
