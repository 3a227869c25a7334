import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/coordinator/scheduling/scheduler.js';
import type { AssignmentState, EuState, OperatorState, TaskState } from '../../src/coordinator/memory/state.js';
import { EuManifest } from '../../src/protocol/index.js';

function eu(id: string, manifest: Partial<Record<string, unknown>> = {}): EuState {
  return {
    id,
    manifest: EuManifest.parse({ name: id, version: '1.0.0', ...manifest }),
    files: {},
    publishedAt: 0,
    owner: 'network',
    checkInput: () => null,
  };
}

function op(id: string, region: string, extra: Partial<OperatorState> = {}): OperatorState {
  return {
    id,
    publicKey: '',
    region,
    resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: [], eus: [] },
    maxConcurrent: 2,
    slots: 2,
    status: 'online',
    statusReason: null,
    conn: { connectionId: 1, send: () => {}, close: () => {} },
    active: new Set(),
    sentEus: new Set(),
    firstSeenAt: 0,
    lastSeenAt: 0,
    reconnectDeadline: null,
    lastAssignedAt: 0,
    freeSince: 0,
    ...extra,
  };
}

function task(id: string, e: EuState, replicas = 1): TaskState {
  return {
    id,
    eu: e,
    status: 'pending',
    input: '{}',
    inputHash: '',
    seed: '',
    clock: 0,
    quorum: replicas,
    maxReplicas: 5,
    replicas,
    attempts: 0,
    freeAttempts: 0,
    submittedAt: 0,
    assignments: [],
    lostLeases: [],
    queued: false,
    readyAt: 0,
    owner: 'network',
  };
}

function harness(operators: OperatorState[]) {
  const made: { task: string; op: string }[] = [];
  let n = 0;
  const scheduler = new Scheduler({
    qualifies: (o) => o.status !== 'suspended',
    rank: () => 0,
    assign: (t, o) => {
      const a = { id: `a${++n}`, operatorId: o.id, region: o.region, status: 'leased' } as AssignmentState;
      t.assignments.push(a);
      o.active.add(a.id);
      o.lastAssignedAt = n;
      made.push({ task: t.id, op: o.id });
    },
  });
  return { scheduler, made, run: () => scheduler.run(operators) };
}

describe('Scheduler', () => {
  it('spreads replicas of one task over distinct operators in distinct regions', () => {
    const ops = [op('a1', 'a'), op('a2', 'a'), op('b1', 'b'), op('c1', 'c')];
    const h = harness(ops);
    const t = task('t1', eu('e'), 3);
    h.scheduler.enqueue(t);
    expect(h.run()).toBe(3);
    const regions = t.assignments.map((a) => a.region);
    expect(new Set(regions).size).toBe(3);
    expect(new Set(t.assignments.map((a) => a.operatorId)).size).toBe(3);
  });

  it('fills the least-loaded operators first and never exceeds max concurrent', () => {
    const ops = [op('x', 'r', { active: new Set(['busy']) }), op('y', 'r'), op('z', 'r')];
    const h = harness(ops);
    const e = eu('e');
    for (let i = 0; i < 10; i++) h.scheduler.enqueue(task(`t${i}`, e));
    expect(h.run()).toBe(5);
    expect(
      h.made
        .slice(0, 2)
        .map((m) => m.op)
        .sort(),
    ).toEqual(['y', 'z']);
    for (const o of ops) expect(o.active.size).toBeLessThanOrEqual(o.maxConcurrent);
    expect(h.scheduler.queued).toBe(5);
  });

  it('matches requirements: capabilities, resources, regions and served EUs', () => {
    const ops = [
      op('plain', 'r'),
      op('nlp', 'r', { resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: ['nlp'], eus: [] } }),
      op('gpu', 'r', {
        resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 24_000, capabilities: ['nlp'], eus: ['other'] },
      }),
    ];
    const h = harness(ops);
    h.scheduler.enqueue(task('needs-nlp', eu('e1', { requirements: { capabilities: ['nlp'] } })));
    h.scheduler.enqueue(task('needs-gpu', eu('e2', { requirements: { gpuMemoryMb: 16_000 } })));
    h.run();
    expect(h.made).toEqual([{ task: 'needs-nlp', op: 'nlp' }]);
    expect(h.scheduler.queued).toBe(1);
  });

  it('avoids regions marked down and suspended operators', () => {
    const ops = [op('a1', 'a'), op('b1', 'b', { status: 'suspended' }), op('c1', 'c')];
    const h = harness(ops);
    h.scheduler.downRegions.add('a');
    const e = eu('e');
    h.scheduler.enqueue(task('t1', e));
    h.scheduler.enqueue(task('t2', e));
    h.scheduler.enqueue(task('t3', e));
    expect(h.run()).toBe(2);
    expect(h.made.every((m) => m.op === 'c1')).toBe(true);
  });

  it('does not let a task that no free operator may take block the ones behind it', () => {
    const ops = [op('a1', 'a')];
    const h = harness(ops);
    const e = eu('e');
    const first = task('t1', e, 2);
    first.assignments.push({ id: 'old', operatorId: 'a1', region: 'a', status: 'submitted' } as AssignmentState);
    h.scheduler.enqueue(first);
    h.scheduler.enqueue(task('t2', e));
    expect(h.run()).toBe(1);
    expect(h.made).toEqual([{ task: 't2', op: 'a1' }]);
    expect(h.scheduler.queued).toBe(1);
  });
});
