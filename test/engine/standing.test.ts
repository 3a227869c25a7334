/**
 * Standing in-process: slow-start slots, release accounting, degradation from
 * missed heartbeats and recovery, suspension for repeated dissent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FREE_RELEASES, SLOW_START_SLOTS, SUSPEND_EXCESS } from '../../src/coordinator/reputation/slot-policy.js';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

describe('standing', () => {
  it('gives a newcomer SLOW_START_SLOTS leases and one more per completed lease, up to what it declared', async () => {
    h = await EngineHarness.start('slow-start');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const op = await h.connect({ maxConcurrent: 4 });
    await h.submit(
      eu,
      Array.from({ length: 20 }, (_, n) => ({ n })),
    );
    const first = op.take();
    expect(first).toHaveLength(SLOW_START_SLOTS);
    await op.complete(first[0]!);
    // One completed: a slot freed and one more earned.
    expect(op.take()).toHaveLength(2);
    expect(h.engine.operators.get(op.id)!.slots).toBe(SLOW_START_SLOTS + 1);
    for (let i = 0; i < 5; i++) for (const a of op.take().concat(i === 0 ? first.slice(1) : [])) await op.complete(a);
    expect(h.engine.operators.get(op.id)!.slots).toBe(4);
  });

  it('halves the slots of an operator releasing beyond the free ones; SUSPEND_EXCESS more suspend it', async () => {
    h = await EngineHarness.start('releases');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1 }));
    const giver = await h.connect({ maxConcurrent: 2 });
    await h.submit(
      eu,
      Array.from({ length: 10 }, (_, n) => ({ n })),
    );
    const slots: number[] = [];
    const held = giver.take();
    for (let i = 0; i < FREE_RELEASES + SUSPEND_EXCESS; i++) {
      await giver.release([held.shift()!.assignmentId]);
      slots.push(h.engine.operators.get(giver.id)!.slots);
      held.push(...giver.take());
    }
    expect(slots.slice(0, FREE_RELEASES)).toEqual([2, 2]);
    expect(slots[FREE_RELEASES]).toBe(1);
    expect(h.engine.operators.get(giver.id)!.status).toBe('suspended');
    expect(h.of('operator.suspended')).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('repeated releases') }),
    ]);
    // Releases never charged the tasks: none failed.
    expect(h.of('task.failed')).toEqual([]);
  });

  it('degrades an operator that misses heartbeats (half its slots) and restores it as figures decay', async () => {
    h = await EngineHarness.start('degrade');
    const op = await h.connect({ maxConcurrent: 4 });
    await h.tick();
    const before = h.engine.operators.get(op.id)!.slots;
    const interval = h.config.heartbeatIntervalMs;
    op.heartbeat(h.now);
    h.advance(interval);
    // Its own stamps skip three beats, the arrival itself is on time.
    op.heartbeat(h.now + 3 * interval);
    await h.tick();
    expect(h.engine.operators.get(op.id)).toMatchObject({
      status: 'degraded',
      statusReason: expect.stringContaining('missed heartbeats'),
    });
    expect(h.engine.operators.get(op.id)!.slots).toBe(Math.max(1, Math.floor(before / 2)));
    // A few short half-lives later (heartbeating on time), the short-window figure has decayed: recovered.
    for (let i = 1; i <= 240; i++) {
      h.advance(interval);
      op.heartbeat(h.now + 3 * interval);
      if (i % 20 === 0) await h.tick();
    }
    expect(h.engine.operators.get(op.id)!.status).toBe('online');
    expect(h.of('operator.recovered')).toEqual([expect.objectContaining({ operatorId: op.id })]);
  });

  it('suspends an operator after suspendAfterDissents dissents and moves its running leases', async () => {
    h = await EngineHarness.start('dissent-suspend', { suspendAfterDissents: 3, maxAttemptsPerTask: 50 });
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3 }));
    const liar = await h.connect({ region: 'r0', maxConcurrent: 1 });
    const a = await h.connect({ region: 'r1', maxConcurrent: 1 });
    const b = await h.connect({ region: 'r2', maxConcurrent: 1 });
    for (const op of [liar, a, b]) await h.stake(op.id, 1000);
    await h.submit(
      eu,
      Array.from({ length: 8 }, (_, n) => ({ n })),
    );
    for (let round = 0; round < 30 && h.of('operator.suspended').length === 0; round++) {
      for (const op of [liar, a, b])
        for (const lease of op.take()) await op.complete(lease, op === liar ? { lie: round } : { ok: lease.taskId });
    }
    expect(h.of('operator.suspended')).toEqual([
      expect.objectContaining({ operatorId: liar.id, reason: expect.stringContaining('repeated dissent') }),
    ]);
    expect(h.of('ledger.slashed').filter((e) => e.operatorId === liar.id && e.reason === 'dissent')).toHaveLength(3);
    expect(h.engine.operators.get(liar.id)!.active.size).toBe(0);
    // Leases it was sent before the verdict that suspended it were taken back.
    for (const lease of liar.take()) expect(liar.cancelled()).toContain(lease.assignmentId);
    // Suspended: the remaining work goes to the others only.
    for (let round = 0; round < 30 && h.engine.tasks.size > 0; round++) {
      for (const op of [a, b]) for (const lease of op.take()) await op.complete(lease, { ok: lease.taskId });
    }
    expect(liar.take()).toEqual([]);
    expect(h.of('task.verified')).toHaveLength(8);
  });
});
