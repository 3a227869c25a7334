import { describe, expect, it } from 'vitest';
import { runChaos } from './run-scenario.js';

describe('chaos: liars below what the quorum tolerates', () => {
  it('never accepts a wrong output; liars and colluders dissent, honest operators never do', async () => {
    const { report } = await runChaos('liars.yaml');

    expect(report.tasks.lost).toBe(0);
    expect(report.tasks.settledTwice).toBe(0);
    expect(report.correctness.wrongAccepted).toBe(0);
    expect(report.tasks.verified + report.tasks.failed).toBe(report.tasks.submitted);
    expect(report.tasks.verified).toBeGreaterThan(0);

    const byClass = new Map(report.classes.map((k) => [k.class, k]));
    expect(byClass.get('honest')!.dissenting).toBe(0);
    expect(byClass.get('lie')!.dissenting).toBeGreaterThan(0);
    expect(byClass.get('collude')!.dissenting).toBeGreaterThan(0);
    // Disagreement cost extra replicas, not correctness.
    expect(report.correctness.escalated).toBeGreaterThan(0);
    expect(report.work.executionsPerVerified).toBeGreaterThan(3);
  });
});
