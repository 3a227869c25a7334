/**
 * Adaptive replication on a real network (a coordinator process, 20 agents
 * in two host processes, 10% of them always lying): operators that build a
 * clean record run tasks alone, liars never do, and no wrong output is
 * accepted, at well under two executions per result. The full comparison
 * (and intermittent liars) is `npm run bench -- adaptive`.
 */
import { describe, expect, it } from 'vitest';
import { runAdaptiveScenario } from '../bench/adaptive.js';

describe('adaptive replication', () => {
  it('lets operators with a clean record run alone, never a liar, and accepts no wrong output', async () => {
    const f = await runAdaptiveScenario({
      label: 'test',
      adaptive: true,
      liarFault: 'lie',
      honest: 18,
      liars: 2,
      tasks: 1500,
    });
    expect(f.verified).toBe(1500);
    expect(f.wrongAccepted).toBe(0);
    expect(f.soloVerdicts).toBeGreaterThan(0);
    const liars = new Set(f.liarIds);
    for (const e of f.events) {
      if (e.type !== 'task.verified') continue;
      const d = e.data as { agreeing: string[]; solo: boolean };
      expect(d.agreeing.some((id) => liars.has(id))).toBe(false);
      if (d.solo) expect(d.agreeing).toHaveLength(1);
    }
    // A solo verdict is paid and counted like any other; the liars were caught by replicated tasks and suspended.
    expect(f.suspendedLiars).toBe(2);
    expect(f.executionsPerResult).toBeLessThan(1.6);
    console.log(
      `adaptive replication, 1500 tasks: ${f.executionsPerResult.toFixed(3)} executions per result (steady ${f.steadyExecutionsPerResult.toFixed(3)}), ${f.soloVerdicts} solo verdicts`,
    );
  });

  it('replicates every task without the flag', async () => {
    const f = await runAdaptiveScenario({
      label: 'test',
      adaptive: false,
      liarFault: 'lie',
      honest: 18,
      liars: 2,
      tasks: 300,
    });
    expect(f.soloVerdicts).toBe(0);
    expect(f.wrongAccepted).toBe(0);
    expect(f.executionsPerResult).toBeGreaterThanOrEqual(2);
  });
});
