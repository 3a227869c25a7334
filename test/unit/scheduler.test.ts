import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/coordinator/scheduling/scheduler.js';
import type { AssignmentState, EuState, OperatorState, TaskState } from '../../src/coordinator/memory/state.js';
import { EuManifest } from '../../src/protocol/index.js';
import { mulberry32 } from '../../src/sim/scenario-plan.js';

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

describe('Scheduler on a large network (sorted placement order)', () => {
  /** The documented choice: lexicographic minimum of (lost here, region used, load, -rank, last assigned). */
  function key(t: TaskState, o: OperatorState, rank: number): number[] {
    const lost = t.assignments.some((a) => a.operatorId === o.id && a.status === 'expired') ? 1 : 0;
    const region = t.assignments.some((a) => a.region === o.region && a.status !== 'expired') ? 1 : 0;
    return [lost, region, o.active.size / o.slots, -rank, o.lastAssignedAt];
  }
  const less = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
    return false;
  };

  it('every placement goes to the best operator by the rule, through many placements of one pass', () => {
    for (const seed of [1, 2, 3]) {
      const random = mulberry32(seed);
      const regions = ['a', 'b', 'c', 'd'];
      const ranks = new Map<OperatorState, number>();
      const ops = Array.from({ length: 400 }, (_, i) => {
        const o = op(`o${i}`, regions[i % regions.length]!, { slots: 1 + Math.floor(random() * 4), maxConcurrent: 4 });
        for (let k = 0; k < Math.floor(random() * o.slots); k++) o.active.add(`pre${i}-${k}`);
        o.lastAssignedAt = Math.floor(random() * 50);
        ranks.set(o, Math.floor(random() * 5));
        return o;
      });
      let n = 100;
      let checked = 0;
      const scheduler = new Scheduler({
        qualifies: () => true,
        rank: (o) => ranks.get(o)!,
        assign: (t, o) => {
          const free = ops.filter(
            (x) =>
              x.active.size < x.slots && !t.assignments.some((a) => a.operatorId === x.id && a.status !== 'expired'),
          );
          const best = free.reduce((b, x) => (less(key(t, x, ranks.get(x)!), key(t, b, ranks.get(b)!)) ? x : b));
          expect(key(t, o, ranks.get(o)!), `seed ${seed}, placement ${checked}`).toEqual(
            key(t, best, ranks.get(best)!),
          );
          checked += 1;
          const a = { id: `a${++n}`, operatorId: o.id, region: o.region, status: 'leased' } as AssignmentState;
          t.assignments.push(a);
          o.active.add(a.id);
          o.lastAssignedAt = n;
        },
      });
      const e = eu('e');
      for (let i = 0; i < 300; i++) {
        const t = task(`t${i}`, e, 1 + (i % 3));
        // Some tasks lost a lease on some operator before: it may retry them, but last.
        if (i % 7 === 0)
          t.assignments.push({ id: `x${i}`, operatorId: `o${i}`, region: 'a', status: 'expired' } as AssignmentState);
        scheduler.enqueue(t);
      }
      const made = scheduler.run(ops);
      expect(made).toBe(checked);
      expect(made).toBeGreaterThan(200);
    }
  });
});
