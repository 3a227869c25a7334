/**
 * Time-decayed reputation on a fake clock: halving arithmetic, quantiles,
 * uptime, the health policy's trend rules, suspension for repeated dissent,
 * and persistence round trips.
 */
import { describe, expect, it } from 'vitest';
import { DecayingHistogram, DecayingMean, DecayingSum } from '../../src/coordinator/reputation/decay.js';
import { assessHealth, score, shouldSuspend } from '../../src/coordinator/reputation/health-policy.js';
import { ReputationBook, SHORT_HALF_LIFE_MS } from '../../src/coordinator/reputation/reputation.js';

const HOUR = 3_600_000;

describe('decaying figures', () => {
  it('halve every half-life, and a late sample weighs fully', () => {
    const s = new DecayingSum(1000);
    s.add(8, 0);
    expect(s.value(0)).toBeCloseTo(8, 9);
    expect(s.value(1000)).toBeCloseTo(4, 9);
    expect(s.value(3000)).toBeCloseTo(1, 9);
    s.add(1, 3000);
    expect(s.value(3000)).toBeCloseTo(2, 9);
  });

  it('stay finite far past the landmark (the landmark moves forward)', () => {
    const s = new DecayingSum(10);
    s.add(1, 0);
    s.add(1, 10_000);
    expect(s.value(10_000)).toBeCloseTo(1, 9);
    expect(Number.isFinite(s.toJSON().s)).toBe(true);
    const back = DecayingSum.from(JSON.parse(JSON.stringify(s)), 10);
    expect(back.value(10_010)).toBeCloseTo(0.5, 9);
  });

  it('means weigh recent samples more', () => {
    const m = new DecayingMean(1000);
    m.add(100, 0);
    m.add(10, 1000);
    // weights 1 and 2 (as seen at t=1000: 0.5 and 1): (50 + 10) / 1.5
    expect(m.mean(1000)).toBeCloseTo(40, 6);
  });

  it('histogram quantiles land within a bucket of the truth, and recent samples dominate', () => {
    const h = new DecayingHistogram(1000);
    for (let i = 1; i <= 100; i++) h.add(i * 10, 0);
    expect(h.quantile(0.5)!).toBeGreaterThan(500 * 0.85);
    expect(h.quantile(0.5)!).toBeLessThan(500 * 1.15);
    expect(h.quantile(0.95)!).toBeGreaterThan(950 * 0.85);
    for (let i = 0; i < 100; i++) h.add(5000, 10_000);
    expect(h.quantile(0.5)!).toBeGreaterThan(4000);
    expect(h.count(10_000)).toBeCloseTo(100 + 100 / 1024, 3);
  });
});

describe('ReputationBook', () => {
  it('tracks uptime from connection samples, completion, agreement and streaks', () => {
    const book = new ReputationBook(HOUR);
    book.sampleUptime('op', true, 0);
    book.sampleUptime('op', true, 60_000);
    book.sampleUptime('op', false, 90_000);
    const r = book.get('op')!;
    expect(book.uptime(r, 90_000)).toBeCloseTo(60 / 90, 2);
    book.result('op', 'eu', 20, { durationMs: 15, cpuMs: 12, memoryMb: 30 }, 1000);
    book.leaseLost('op', 2000);
    expect(book.leaseCompletion(r, 2000)).toBeCloseTo(2 / 3, 3);
    for (let i = 0; i < 5; i++) book.agreed('op', 3000);
    expect(r.streak).toBe(5);
    book.dissented('op', 4000);
    expect(r.streak).toBe(0);
    expect(r.urgent).toBe(true);
    expect(book.agreement(r, 4000)).toBeCloseTo(6 / 7, 3);
  });

  it('counts late heartbeats as missed, and the record survives a round trip', () => {
    const book = new ReputationBook(HOUR);
    book.heartbeat('op', 600, 500, 0);
    expect(book.get('op')).toBeUndefined();
    book.heartbeat('op', 2000, 500, 1000);
    expect(book.get('op')!.missed.value(1000)).toBe(3);
    book.result('op', 'eu', 40, { durationMs: 30 }, 1000);
    book.agreed('op', 1000);
    const copy = new ReputationBook(HOUR);
    copy.restore('op', 1, book.serialize(book.get('op')!), 1000);
    const r = copy.get('op')!;
    expect(r.streak).toBe(1);
    expect(r.missed.value(1000)).toBe(3);
    expect(r.perEu.get('eu')!.latency.quantile(0.5)).toBeCloseTo(
      book.get('op')!.perEu.get('eu')!.latency.quantile(0.5)!,
      6,
    );
  });
});

describe('health policy', () => {
  it('sees a trend of missed heartbeats, and forgets it once they stop', () => {
    const book = new ReputationBook(HOUR);
    book.heartbeat('op', 1600, 500, 10_000);
    const r = book.get('op')!;
    expect(assessHealth(book, r, 10_000).reasons.join()).toMatch(/missed heartbeats/);
    expect(assessHealth(book, r, 10_000 + 2 * SHORT_HALF_LIFE_MS).degraded).toBe(false);
  });

  it('sees failing leases only when they are a large share of recent ones', () => {
    const book = new ReputationBook(HOUR);
    for (let i = 0; i < 20; i++) book.result('op', 'eu', 10, { durationMs: 5 }, 0);
    book.leaseLost('op', 0);
    book.leaseLost('op', 0);
    expect(assessHealth(book, book.get('op')!, 0).degraded).toBe(false);
    book.leaseLost('op', 1);
    for (let i = 0; i < 20; i++) book.leaseLost('op', 1);
    expect(assessHealth(book, book.get('op')!, 1).reasons.join()).toMatch(/failing leases/);
  });

  it("sees latency rising against the operator's own record and against the network", () => {
    const book = new ReputationBook(HOUR);
    for (let i = 0; i < 50; i++) {
      book.result('slow', 'eu', 100, { durationMs: 90 }, 0);
      book.result('peer', 'eu', 100, { durationMs: 90 }, 0);
    }
    const later = 5 * SHORT_HALF_LIFE_MS;
    for (let i = 0; i < 5; i++) book.result('slow', 'eu', 900, { durationMs: 880 }, later);
    expect(assessHealth(book, book.get('slow')!, later).reasons.join()).toMatch(/latency rising/);
    expect(assessHealth(book, book.get('peer')!, later).degraded).toBe(false);
  });

  it('suspends for repeated dissent but not for a rare one in a long record', () => {
    const book = new ReputationBook(HOUR);
    for (let i = 0; i < 3; i++) book.dissented('liar', 0);
    expect(shouldSuspend(book.get('liar')!, 3, 0)).toMatch(/repeated dissent/);
    for (let i = 0; i < 100; i++) book.agreed('honest', 0);
    for (let i = 0; i < 3; i++) book.dissented('honest', 0);
    expect(shouldSuspend(book.get('honest')!, 3, 0)).toBeNull();
    expect(shouldSuspend(book.get('liar')!, 3, 3 * HOUR)).toBeNull();
  });

  it('suspends at the threshold when the dissents came a second apart (a decayed count of 3 reads just below 3)', () => {
    const book = new ReputationBook(HOUR);
    for (let i = 0; i < 2; i++) book.dissented('liar', i * 1000);
    expect(shouldSuspend(book.get('liar')!, 3, 2000)).toBeNull();
    book.dissented('liar', 2000);
    expect(book.get('liar')!.dissent.value(2000)).toBeLessThan(3);
    expect(shouldSuspend(book.get('liar')!, 3, 2000)).toMatch(/repeated dissent/);
  });

  it('scores agreement, completion, uptime, stake and speed; degraded halves the score', () => {
    const book = new ReputationBook(HOUR);
    for (let i = 0; i < 10; i++) book.agreed('good', 0);
    for (let i = 0; i < 10; i++) book.dissented('bad', 0);
    const good = score(book, book.get('good'), 0.5, false, 0);
    const bad = score(book, book.get('bad'), 0.5, false, 0);
    expect(good).toBeGreaterThan(bad);
    expect(score(book, book.get('good'), 0.5, true, 0)).toBeCloseTo(good / 2, 9);
    expect(score(book, book.get('good'), 0.9, false, 0)).toBeGreaterThan(good);
  });
});
