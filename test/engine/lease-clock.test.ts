/**
 * Leases under load, in-process with a fake clock: a lease counts from when its operator started
 * the work (the heartbeat's `started`), the reaper judges at the time the engine gives it (the
 * previous pass's), not when it runs, and a turn hands out no new lease while more results wait
 * in the inbox than it takes in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatMessage } from '../../src/protocol/index.js';
import * as operatorFlow from '../../src/coordinator/lifecycle/operator-flow.js';
import { defaultConfig, heartbeatIntervalFor } from '../../src/coordinator/config/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { EngineHarness, type FakeOperator } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  // The frame test starts no engine.
  const started = h as EngineHarness | undefined;
  h = undefined as unknown as EngineHarness;
  await started?.stop(ctx.task.result?.state === 'fail');
});

/** timeoutMs of the test EU; the lease is this plus leaseGraceMs (2,000 ms by default): 3,000 ms. */
const TIMEOUT_MS = 1000;

/** Moves the clock on by `ms` in heartbeat-sized steps, the operator heartbeating, the reaper passing. */
async function liveFor(op: FakeOperator, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= Math.min(500, left)) {
    h.advance(Math.min(500, left));
    op.heartbeat();
    await h.reap();
  }
}

async function oneLease(label: string) {
  h = await EngineHarness.start(label);
  const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
  const op = await h.connect();
  const grantedAt = h.now;
  await h.submit(eu, [{ n: 1 }]);
  const a = op.takeOne();
  return { op, a, grantedAt, leaseMs: TIMEOUT_MS + h.config.leaseGraceMs };
}

const status = (id: string) => h.engine.assignments.get(id)?.status;

describe('the lease clock', () => {
  it('counts a lease from when the operator says it started the work, not from the grant', async () => {
    const { op, a, grantedAt, leaseMs } = await oneLease('started');
    // The assignment reached the operator 1,000 ms after the grant; its heartbeat 200 ms later says so.
    await liveFor(op, 1200);
    h.engine.leasesStarted(op.id, [[a.assignmentId, 200]]);
    const startedAt = grantedAt + 1000;
    expect(h.engine.assignments.get(a.assignmentId)!.leaseExpiresAt).toBe(startedAt + leaseMs);
    // Past the granted deadline: still held.
    await liveFor(op, grantedAt + leaseMs + 1 - h.now);
    expect(status(a.assignmentId)).toBe('leased');
    expect(h.of('assignment.expired')).toEqual([]);
    // Past the deadline counted from the start: expired, as any overdue lease.
    await liveFor(op, startedAt + leaseMs - h.now);
    expect(status(a.assignmentId)).toBe('leased');
    await liveFor(op, 1);
    expect(h.of('assignment.expired')).toEqual([
      expect.objectContaining({ assignmentId: a.assignmentId, reason: 'lease_deadline' }),
    ]);
  });

  it('takes one start per lease, from its holder only', async () => {
    const { op, a, grantedAt, leaseMs } = await oneLease('bounds');
    const other = await h.connect();
    const deadline = () => h.engine.assignments.get(a.assignmentId)!.leaseExpiresAt;
    // Another operator's report, an unknown lease: nothing moves.
    h.advance(1000);
    h.engine.leasesStarted(other.id, [[a.assignmentId, 0]]);
    h.engine.leasesStarted(op.id, [['a_unknown', 0]]);
    expect(deadline()).toBe(grantedAt + leaseMs);
    // The holder's first report counts; later ones change nothing.
    h.advance(1900);
    h.engine.leasesStarted(op.id, [[a.assignmentId, 0]]);
    expect(deadline()).toBe(grantedAt + 2 * leaseMs - 100);
    h.engine.leasesStarted(op.id, [[a.assignmentId, 0]]);
    h.advance(5000);
    h.engine.leasesStarted(op.id, [[a.assignmentId, 0]]);
    expect(deadline()).toBe(grantedAt + 2 * leaseMs - 100);
  });

  it('caps the start an operator claims at one more lease length', async () => {
    const { op, a, grantedAt, leaseMs } = await oneLease('cap');
    // No reaper pass ran while the engine was busy; the operator claims it only just started.
    h.advance(10 * leaseMs);
    op.heartbeat();
    h.engine.leasesStarted(op.id, [[a.assignmentId, 0]]);
    expect(h.engine.assignments.get(a.assignmentId)!.leaseExpiresAt).toBe(grantedAt + 2 * leaseMs);
    await h.reap();
    expect(h.of('assignment.expired')).toHaveLength(1);
  });

  it('takes a start only for a lease still held: a late report of a finished one changes nothing', async () => {
    const { op, a } = await oneLease('finished');
    await op.complete(a);
    h.engine.leasesStarted(op.id, [[a.assignmentId, 0]]);
    expect(h.engine.assignments.get(a.assignmentId)).toBeUndefined();
    expect(h.of('task.verified')).toHaveLength(1);
  });

  it('reads `started` off the heartbeat frame, and refuses a malformed one', () => {
    const ok = HeartbeatMessage.safeParse({ t: 'hb', running: 1, started: [['a_1', 12]] });
    expect(ok.success && ok.data.started).toEqual([['a_1', 12]]);
    for (const started of [[['a_1', -1]], [['a_1']], [['', 1]], [[7, 1]], 'a_1', Array(4097).fill(['a', 1])])
      expect(HeartbeatMessage.safeParse({ t: 'hb', running: 0, started }).success, JSON.stringify(started)).toBe(false);
  });
});

describe('the reaper under coordinator lag', () => {
  it('judges at the time it is given: a result that arrived before then counts, though the engine reads it late', async () => {
    const { op, a, grantedAt, leaseMs } = await oneLease('judge-at');
    await liveFor(op, leaseMs - 100);
    // The engine falls 2 s behind: by its clock the lease is overdue and the operator silent.
    h.advance(2000);
    const dueAt = grantedAt + leaseMs - 50;
    // The reaper pass queued before the lag runs first, but judges at its own time: the lease and the
    // operator are judged as they were then, and the result read in the meantime counts.
    const reaped = h.engine.command((turn) => operatorFlow.reap(h.engine, turn, dueAt));
    h.engine.results(op.conn, op.id, [op.result(a, { n: 1, h: 0 })]);
    await reaped;
    await h.idle();
    expect(h.of('assignment.expired')).toEqual([]);
    expect(h.of('operator.offline')).toEqual([]);
    expect(op.accepted()).toEqual([a.assignmentId]);
    expect(h.of('task.verified')).toHaveLength(1);
  });

  it('still finds a silent operator and an overdue lease once the time it judges at has passed them', async () => {
    const { op, a, grantedAt, leaseMs } = await oneLease('judge-late');
    h.advance(leaseMs + 2000);
    await h.engine.command((turn) => operatorFlow.reap(h.engine, turn, grantedAt + h.engine.offlineAfterMs - 1));
    expect(h.of('operator.offline')).toEqual([]);
    await h.engine.command((turn) => operatorFlow.reap(h.engine, turn, grantedAt + h.engine.offlineAfterMs + 1));
    expect(h.of('operator.offline')).toEqual([
      expect.objectContaining({ operatorId: op.id, reason: 'heartbeat_timeout' }),
    ]);
    expect(h.of('assignment.expired')).toEqual([
      expect.objectContaining({ assignmentId: a.assignmentId, reason: 'operator_offline' }),
    ]);
  });
});

describe('admission', () => {
  it('hands out no new lease while more results wait than four turns take in; the work stays queued', async () => {
    h = await EngineHarness.start('admission');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: TIMEOUT_MS }));
    const op = await h.connect({ maxConcurrent: 3100 });
    // Grant it 3,100 slots at once (slow start would take many rounds to get there).
    h.engine.operators.get(op.id)!.slots = 3100;
    await h.submit(eu, inputs(3101));
    const leased = op.take();
    expect(leased).toHaveLength(3100);
    expect(h.engine.scheduler.queued).toBe(1);
    const framesBefore = op.conn.messages.length;
    // Frames of 700 and 2,400 results arrive together: the first turn takes the first, and 2,400 still wait.
    h.engine.results(
      op.conn,
      op.id,
      leased.slice(0, 700).map((a) => op.result(a, { n: 0, h: 0 })),
    );
    h.engine.results(
      op.conn,
      op.id,
      leased.slice(700).map((a) => op.result(a, { n: 0, h: 0 })),
    );
    await h.idle();
    const after = op.conn.messages.slice(framesBefore);
    const kinds = after.map((m) => m.t);
    // The first turn acked its 700 and placed nothing; the second acked the rest and placed the queued task.
    expect(kinds).toEqual(['ack', 'ack', 'assign']);
    expect(op.take()).toHaveLength(1);
    expect(h.engine.scheduler.queued).toBe(0);
    expect((await h.engine.metrics.admissionHeld.get()).values[0]!.value).toBe(1);
    expect(h.of('assignment.expired')).toEqual([]);
  });
});

describe('heartbeat pacing', () => {
  it('tells operators past the heartbeat budget a longer interval, the connected ones too, and judges each by it', async () => {
    // 2 heartbeats a second planned: 500 ms for one operator, 1 s for two, 1.5 s for three.
    h = await EngineHarness.start('pacing', { heartbeatBudgetPerS: 2 });
    const ops = [await h.connect(), await h.connect(), await h.connect()];
    const told = ops.map((op) => op.conn.of('welcome')[0]!.heartbeatIntervalMs);
    expect(told).toEqual([500, 1000, 1500]);
    // Those already connected are re-paced as the network grows.
    expect(ops.map((op) => op.conn.of('pace').map((f) => f.heartbeatIntervalMs))).toEqual([[1000, 1500], [1500], []]);
    // 4 s of silence: within everyone's 3 × 1.5 s.
    h.advance(4000);
    await h.reap();
    expect(h.of('operator.offline')).toEqual([]);
    h.advance(501);
    await h.reap();
    expect(
      h
        .of('operator.offline')
        .map((e) => e.operatorId)
        .sort(),
    ).toEqual(ops.map((op) => op.id).sort());
  });

  it('rounds the interval up to half the configured one, so a growing network is re-paced a few times', () => {
    const config = defaultConfig();
    const intervals = [1000, 1001, 1500, 2000, 2001, 5000].map((n) => heartbeatIntervalFor(config, n));
    expect(intervals).toEqual([500, 750, 750, 1000, 1250, 2500]);
  });
});
