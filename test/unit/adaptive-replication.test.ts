/**
 * Adaptive replication's rule (BOINC's: trusted after N ≥ 10 agreeing
 * results, alone with probability 1 − 1/N), its spot checks, and the longer
 * streak an operator with dissents in its record must rebuild.
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveReplication } from '../../src/coordinator/verification/adaptive-replication.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('AdaptiveReplication', () => {
  const make = (over: Partial<{ enabled: boolean; spotCheckRate: number }> = {}) =>
    new AdaptiveReplication({ enabled: true, minStreak: 10, spotCheckRate: 0.1, random: seeded(7), ...over });

  it('never trusts below the streak, then with probability 1 − 1/N', () => {
    const a = make();
    expect(a.trust(9, 0)).toBe(0);
    expect(a.trust(10, 0)).toBeCloseTo(0.9, 12);
    expect(a.trust(50, 0)).toBeCloseTo(0.98, 12);
    expect(make({ enabled: false }).trust(1000, 0)).toBe(0);
  });

  it('doubles the streak needed for each dissent in the record', () => {
    const a = make();
    expect(a.requiredStreak(0)).toBe(10);
    expect(a.requiredStreak(1)).toBe(20);
    expect(a.requiredStreak(2.2)).toBe(40);
    expect(a.trust(30, 2)).toBe(0);
    expect(a.trust(40, 2)).toBeCloseTo(0.975, 12);
  });

  it('runs alone about (1 − 1/N)(1 − spot check) of the time', () => {
    const a = make();
    const n = 20_000;
    for (let i = 0; i < n; i++) a.decide(20, 0);
    expect(a.counts.solo / n).toBeCloseTo(0.95 * 0.9, 1);
    expect(a.counts.spotCheck / n).toBeCloseTo(0.95 * 0.1, 1);
    expect(a.counts.solo + a.counts.spotCheck + a.counts.replicate).toBe(n);
  });
});
