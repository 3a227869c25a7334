import { describe, expect, it } from 'vitest';
import { runChaos } from './run-scenario.js';

describe('chaos: crashed, hung, slow and flapping operators', () => {
  it('loses no task, accepts no wrong output, and moves every lost lease to another operator', async () => {
    const { plan, run, report, operatorOf } = await runChaos('crashes.yaml');
    const c = run.collector;

    expect(report.tasks.submitted).toBe(plan.load.tasks);
    expect(report.tasks.lost).toBe(0);
    expect(report.tasks.settledTwice).toBe(0);
    expect(report.tasks.verified).toBe(report.tasks.submitted);
    expect(report.correctness.wrongAccepted).toBe(0);
    // Every fault struck, and every lease its operators lost found a new home.
    expect(run.applied).toHaveLength(plan.faults.length);
    for (const fault of report.faults) expect(fault.unresolved, fault.label).toBe(0);

    // Crashed operators held work; all of it was reassigned to others.
    const crashes = plan.faults.filter((f) => f.kind === 'crash');
    const crashed = new Set(crashes.flatMap((f) => f.agents.map(operatorOf)));
    const lostByCrashed = c.lost.filter((l) => crashed.has(l.operatorId));
    expect(lostByCrashed.length).toBeGreaterThan(0);
    for (const lease of lostByCrashed) expect(lease.resolvedAt, lease.assignmentId).not.toBeNull();
    // The ones that never came back got nothing after the coordinator saw them go.
    const permanent = plan.faults.find((f) => f.kind === 'crash' && f.endMs === null)!;
    for (const op of permanent.agents.map(operatorOf)) {
      const offline = c.presence.find((p) => p.operatorId === op && !p.online);
      expect(offline, `${op} seen offline`).toBeDefined();
      expect(c.operators.get(op)?.lastAssignedAt ?? 0).toBeLessThanOrEqual(offline!.ts);
      for (const lease of c.lost.filter((l) => l.operatorId === op)) expect(lease.resolvedBy).toBe('reassigned');
    }
    // Restarted operators came back under the same identity.
    const restarted = report.faults.find((f) => f.kind === 'crash' && f.endS !== null)!;
    expect(restarted.rejoined).toBe(restarted.operators);

    // A hung operator keeps its socket open: only its silence gives it away.
    const hang = plan.faults.find((f) => f.kind === 'hang')!;
    for (const op of hang.agents.map(operatorOf)) {
      expect(c.presence.some((p) => p.operatorId === op && !p.online && p.reason === 'heartbeat_timeout')).toBe(true);
    }
    // Slow operators overran their leases; those tasks went elsewhere.
    const slow = new Set(plan.faults.find((f) => f.kind === 'slow')!.agents.map(operatorOf));
    const overran = c.lost.filter((l) => slow.has(l.operatorId) && l.reason === 'lease_deadline');
    expect(overran.length).toBeGreaterThan(0);
    // Flapping operators dropped their connections repeatedly.
    const flap = plan.faults.find((f) => f.kind === 'flap')!;
    for (const op of flap.agents.map(operatorOf)) {
      expect(c.presence.filter((p) => p.operatorId === op && !p.online).length).toBeGreaterThan(1);
    }
  });
});
