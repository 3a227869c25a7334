import { describe, expect, it } from 'vitest';
import { runChaos } from './run-scenario.js';

describe('chaos: regional outage, regional demand spike, region cut off', () => {
  it('keeps the other regions working through an outage, serves region-bound work, and loses nothing', async () => {
    const { plan, run, report } = await runChaos('regions.yaml');
    const c = run.collector;
    const spike = plan.spikes.reduce((n, s) => n + s.tasks, 0);

    expect(report.tasks.submitted).toBe(plan.load.tasks + spike);
    expect(report.tasks.lost).toBe(0);
    expect(report.tasks.settledTwice).toBe(0);
    expect(report.tasks.verified).toBe(report.tasks.submitted);
    expect(report.correctness.wrongAccepted).toBe(0);
    for (const fault of report.faults) expect(fault.unresolved, fault.label).toBe(0);

    // The outage: the coordinator marked the region down, its work moved, and it came back whole.
    const outage = report.faults.find((f) => f.kind === 'region-outage')!;
    const applied = run.applied.find((a) => a.faultId === outage.id)!;
    expect(c.regionMarks.some((m) => m.region === outage.region && m.down && m.ts >= applied.startedAt)).toBe(true);
    expect(outage.leasesLost).toBeGreaterThan(0);
    expect(outage.reassigned).toBeGreaterThan(0);
    expect(outage.rejoined).toBe(outage.operators);
    // Throughput elsewhere did not stop: every other region returned results while it was down.
    const from = Math.floor((applied.startedAt - run.t0) / 1000);
    const to = Math.floor((applied.endedAt! - run.t0) / 1000);
    for (const region of plan.regions.filter((r) => r !== outage.region)) {
      const during = report.series.perRegion[region]!.slice(from, to).reduce((a, b) => a + b, 0);
      expect(during, `results from ${region} during the outage`).toBeGreaterThan(0);
    }
    expect(report.series.verified.slice(from, to).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // The region cut: sockets stayed open, so silence gave it away; its operators reconnected after.
    const cut = report.faults.find((f) => f.kind === 'region-cut')!;
    const cutOps = new Set(plan.faults.find((f) => f.id === cut.id)!.agents.map((i) => run.agents[i]!.operatorId));
    const cutAt = run.applied.find((a) => a.faultId === cut.id)!.startedAt;
    for (const op of cutOps) {
      const seen = c.presence.find((p) => p.operatorId === op && !p.online && p.ts >= cutAt);
      expect(seen?.reason, `${op} seen offline after the cut`).toBe('heartbeat_timeout');
    }
    expect(cut.rejoined).toBe(cut.operators);
  });
});
