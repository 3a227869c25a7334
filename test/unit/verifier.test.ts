import { describe, expect, it } from 'vitest';
import { decide, groupByHash, type ResultView } from '../../src/coordinator/verification/verifier.js';

const r = (op: string, hash: string): ResultView => ({ assignmentId: `a-${op}`, operatorId: op, outputHash: hash });
const state = (over: Partial<{ quorum: number; maxReplicas: number; replicas: number; live: number }> = {}) => ({
  quorum: 2,
  maxReplicas: 5,
  replicas: 2,
  live: 0,
  ...over,
});

describe('decide (exact policy)', () => {
  it('waits while outstanding replicas could still agree', () => {
    expect(decide(groupByHash([r('a', 'x')]), state({ live: 1 }))).toEqual({ kind: 'wait' });
  });

  it('verifies when a quorum of equal outputs is in; the rest dissent', () => {
    const d = decide(groupByHash([r('a', 'x'), r('b', 'y'), r('c', 'x')]), state({ replicas: 3 }));
    expect(d.kind).toBe('verified');
    if (d.kind !== 'verified') return;
    expect(d.winners.map((w) => w.operatorId)).toEqual(['a', 'c']);
    expect(d.dissenters.map((w) => w.operatorId)).toEqual(['b']);
  });

  it('escalates by the shortfall when the results in disagree', () => {
    expect(decide(groupByHash([r('a', 'x'), r('b', 'y')]), state())).toEqual({ kind: 'escalate', replicas: 3 });
    expect(decide(groupByHash([r('a', 'x'), r('b', 'y'), r('c', 'z')]), state({ quorum: 3, replicas: 3 }))).toEqual({
      kind: 'escalate',
      replicas: 5,
    });
  });

  it('escalates early when live replicas cannot close the gap', () => {
    expect(decide(groupByHash([r('a', 'x'), r('b', 'y')]), state({ quorum: 3, replicas: 3, live: 1 }))).toEqual({
      kind: 'escalate',
      replicas: 4,
    });
  });

  it('gives up as unverifiable when even agreement of every remaining replica could not reach quorum', () => {
    const d = decide(groupByHash([r('a', 'x'), r('b', 'y'), r('c', 'z')]), state({ maxReplicas: 3, replicas: 3 }));
    expect(d.kind).toBe('unverifiable');
  });

  it('quorum 1 accepts the first result', () => {
    const d = decide(groupByHash([r('a', 'x')]), state({ quorum: 1, replicas: 1 }));
    expect(d.kind).toBe('verified');
  });
});
