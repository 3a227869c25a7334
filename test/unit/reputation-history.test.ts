/** The history's rules alone: checked once an interval, written only when the figures moved. */
import { describe, expect, it } from 'vitest';
import type { Turn } from '../../src/coordinator/memory/index.js';
import { HISTORY_INTERVAL_MS, ReputationHistory } from '../../src/coordinator/reputation/index.js';
import { ChangeSet } from '../../src/store/index.js';

const figures = { score: 0.5, uptime: 1, agreement: 1, leaseCompletion: 1, stake: 10, status: 'online' };

describe('ReputationHistory', () => {
  it('writes a sample when the figures moved, never two within an interval, none when they stayed', () => {
    const history = new ReputationHistory();
    const changes = new ChangeSet();
    let asked = 0;
    const at = (now: number, f = figures) => {
      history.consider({ now, changes } as unknown as Turn, 'op_1', () => {
        asked += 1;
        return f;
      });
      return changes.changes.filter((c) => c.op === 'operator_sample.insert').length;
    };
    const T = HISTORY_INTERVAL_MS;
    expect(at(1000)).toBe(1);
    // The second check comes one to two intervals after the first (put off by a random part of one).
    expect(at(1000 + T - 1, { ...figures, score: 0.9 })).toBe(1);
    expect(asked).toBe(1);
    expect(at(1000 + 2 * T)).toBe(1);
    expect(asked).toBe(2);
    // From then on, exactly one interval apart.
    expect(at(1000 + 3 * T - 1, { ...figures, stake: 5 })).toBe(1);
    expect(at(1000 + 3 * T, { ...figures, stake: 5 })).toBe(2);
    expect(asked).toBe(3);
    expect(changes.changes.at(-1)).toEqual({
      op: 'operator_sample.insert',
      row: { operatorId: 'op_1', ts: 1000 + 3 * T, ...figures, stake: 5 },
    });
  });
});
