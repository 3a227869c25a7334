import { describe, expect, it } from 'vitest';
import { runChaos } from './run-scenario.js';

describe('chaos: a coordinator offered far more than it can take in', () => {
  it('loses no lease and slashes no one without a fault: the excess waits in the queue', async () => {
    const { plan, run, report } = await runChaos('overload.yaml');
    const c = run.collector;

    expect(report.tasks.submitted).toBe(plan.load.tasks);
    expect(report.tasks.verified).toBe(report.tasks.submitted);
    expect(report.tasks.lost).toBe(0);
    expect(report.tasks.settledTwice).toBe(0);
    // The coordinator was the bottleneck: the offered work piled up as queued tasks, not as leases.
    const peakQueued = Math.max(...report.coordinator.samples.map((s) => s.queued));
    expect(peakQueued).toBeGreaterThan(plan.operators * 5);
    // Not one lease expired, not one result came too late, and every execution counted.
    expect(c.lost.map((l) => `${l.operatorId} ${l.reason}`)).toEqual([]);
    expect(report.work.refusedResults).toBe(0);
    expect(report.work.executions).toBe(2 * plan.load.tasks);
    // Every operator stayed online until the run ended, and was paid, never slashed.
    expect(c.presence.filter((p) => !p.online && p.reason === 'heartbeat_timeout')).toEqual([]);
    expect(report.ledger.rewardEvents).toBeGreaterThan(0);
    expect(report.ledger.slashEvents).toBe(0);
  });
});
