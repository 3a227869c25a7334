/** The depth checks (src/protocol/limits.ts) and the refusal tally: pure rules, in-process. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOOD_LIMIT, FLUSH_INTERVAL_MS, RefusalTally } from '../../src/coordinator/engine/refusal-tally.js';
import { textTooDeep, valueTooDeep } from '../../src/protocol/index.js';

/** Depth by recursion: fine for the small values generated here, and obviously right. */
function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depth));
}

describe('depth limits', () => {
  it('the text scan and the value walk agree with the recursive depth, strings with brackets and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, limit) => {
        const deep = depth(value) > limit;
        expect(valueTooDeep(value, limit)).toBe(deep);
        expect(textTooDeep(JSON.stringify(value), limit)).toBe(deep);
      }),
      { numRuns: 2000 },
    );
  });

  it('checks a million levels without recursing', () => {
    const n = 1_000_000;
    const text = `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(textTooDeep(text, 64)).toBe(true);
    expect(valueTooDeep(JSON.parse(text), 64)).toBe(true);
    expect(textTooDeep('"[[[[[[\\"[[["', 1)).toBe(false);
  });
});

describe('refusal tally', () => {
  const sample = { assignmentId: 'a_1', code: 'ASSIGNMENT_NOT_HELD', message: 'no' };

  it('writes the first refusal at once, then at most one event per operator per interval, with counts', () => {
    const tally = new RefusalTally();
    tally.record('op_1', 0, sample);
    expect(tally.due(0)).toEqual([
      expect.objectContaining({ operatorId: 'op_1', total: 1, counts: { ASSIGNMENT_NOT_HELD: 1 } }),
    ]);
    for (let i = 0; i < 500; i++)
      tally.record('op_1', 10, { ...sample, code: i % 2 ? 'BAD_SIGNATURE' : 'LEASE_EXPIRED' });
    expect(tally.due(FLUSH_INTERVAL_MS - 1)).toEqual([]);
    const [event] = tally.due(FLUSH_INTERVAL_MS);
    expect(event).toMatchObject({ total: 500, counts: { BAD_SIGNATURE: 250, LEASE_EXPIRED: 250 } });
    expect(event!.sample).toHaveLength(5);
  });

  it('marks a flood once, past the limit within the window', () => {
    const tally = new RefusalTally();
    const marks = Array.from({ length: FLOOD_LIMIT + 10 }, () => tally.record('op_1', 5, sample)).filter(Boolean);
    expect(marks).toHaveLength(1);
  });
});
