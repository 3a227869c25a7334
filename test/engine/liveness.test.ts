/**
 * The reaper and heartbeats in-process: silence marks an operator offline
 * after `heartbeatMissThreshold` intervals, a closed socket at once, and its
 * leases move in the same turn; a reconnect resumes what it still holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

describe('reaper and heartbeats', () => {
  it('marks a silent operator offline only once silent longer than the missed-heartbeat threshold', async () => {
    h = await EngineHarness.start('silence');
    const op = await h.connect();
    expect(h.engine.offlineAfterMs).toBe(h.config.heartbeatIntervalMs * h.config.heartbeatMissThreshold);
    h.advance(h.engine.offlineAfterMs);
    await h.reap();
    expect(h.engine.operators.get(op.id)!.status).toBe('online');
    h.advance(1);
    await h.reap();
    expect(h.engine.operators.get(op.id)).toMatchObject({
      status: 'offline',
      statusReason: 'heartbeat_timeout',
      conn: null,
    });
    expect(h.of('operator.offline')).toEqual([
      expect.objectContaining({ operatorId: op.id, reason: 'heartbeat_timeout' }),
    ]);
    expect((await h.store.getOperator(op.id))!.status).toBe('offline');
  });

  it('keeps an operator that heartbeats online however long it runs', async () => {
    h = await EngineHarness.start('beating');
    const op = await h.connect();
    for (let i = 0; i < 20; i++) {
      h.advance(h.config.heartbeatIntervalMs);
      op.heartbeat();
      await h.reap();
    }
    expect(h.engine.operators.get(op.id)!.status).toBe('online');
    expect(op.conn.closed).toBeNull();
    expect(h.of('operator.offline')).toEqual([]);
  });

  it("expires a silent operator's leases and hands them to a live operator in the same turn", async () => {
    h = await EngineHarness.start('silent-leases');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const silent = await h.connect();
    const [t1, t2] = await h.submit(eu, [{ n: 1 }, { n: 2 }]);
    expect(silent.take()).toHaveLength(2);
    const live = await h.connect();
    h.advance(h.engine.offlineAfterMs + 1);
    live.heartbeat();
    await h.reap();
    expect(h.of('assignment.expired').map((e) => e.reason)).toEqual(['operator_offline', 'operator_offline']);
    expect(h.of('operator.offline')).toEqual([expect.objectContaining({ operatorId: silent.id, expired: 2 })]);
    const moved = live.take();
    expect(moved.map((a) => a.taskId).sort()).toEqual([t1, t2].sort());
    expect(moved.every((a) => a.attempt === 2)).toBe(true);
    // One commit carried the expiries and the reassignments.
    const reapCommit = h.log.find((l) => l.includes('operator.offline'))!;
    expect(reapCommit).toContain('task.reassigned');
  });

  it('takes an operator whose socket closed offline at once, with its leases', async () => {
    h = await EngineHarness.start('closed');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const op = await h.connect();
    await h.submit(eu, [{ n: 1 }]);
    const a = op.takeOne();
    await op.drop();
    expect(h.engine.operators.get(op.id)).toMatchObject({ status: 'offline', statusReason: 'connection_closed' });
    expect(h.of('assignment.expired')).toEqual([
      expect.objectContaining({ assignmentId: a.assignmentId, reason: 'operator_offline' }),
    ]);
    expect(h.task(a.taskId)!.status).toBe('pending');
  });

  it('resumes the leases a reconnecting operator still holds and loses the ones it does not', async () => {
    h = await EngineHarness.start('resume');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const op = await h.connect();
    await h.submit(eu, [{ n: 1 }, { n: 2 }]);
    const [kept, forgotten] = op.take();
    const conn = await op.reconnect({ held: [kept!.assignmentId] });
    expect(conn.of('welcome')).toEqual([expect.objectContaining({ operatorId: op.id, resumed: [kept!.assignmentId] })]);
    expect(h.of('assignment.expired')).toEqual([
      expect.objectContaining({ assignmentId: forgotten!.assignmentId, reason: 'operator_offline' }),
    ]);
    // The resumed lease's result counts; the lost one went back to the queue and came back to it as attempt 2.
    await op.complete(kept!);
    expect((await h.taskRow(kept!.taskId)).status).toBe('verified');
    expect(op.take()).toEqual([expect.objectContaining({ taskId: forgotten!.taskId, attempt: 2 })]);
  });

  it("counts gaps in the operator's own heartbeat stamps as missed heartbeats, not gaps in their arrival", async () => {
    h = await EngineHarness.start('missed');
    const op = await h.connect();
    const interval = h.config.heartbeatIntervalMs;
    const start = h.now;
    // Arrivals bunched late (the coordinator was busy), stamps regular: nothing missed.
    h.advance(5 * interval);
    for (let i = 1; i <= 5; i++) op.heartbeat(start + i * interval);
    expect(h.engine.trust.reputation.get(op.id)?.missed.value(h.now) ?? 0).toBe(0);
    // The operator's own stamps jump four intervals: three beats it failed to send.
    op.heartbeat(start + 9 * interval);
    expect(h.engine.trust.reputation.get(op.id)!.missed.value(h.now)).toBeCloseTo(3, 5);
  });

  it('lets a draining operator leave as drained once its work is done', async () => {
    h = await EngineHarness.start('drain');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const op = await h.connect();
    await h.submit(eu, [{ n: 1 }]);
    const a = op.takeOne();
    h.engine.drain(op.id);
    await h.idle();
    await h.submit(eu, [{ n: 2 }]);
    expect(op.take()).toEqual([]);
    await op.complete(a);
    await op.drop();
    expect(h.of('operator.offline')).toEqual([
      expect.objectContaining({ operatorId: op.id, reason: 'drained', expired: 0 }),
    ]);
  });
});
