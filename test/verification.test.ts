import { describe, expect, it } from 'vitest';
import { hashJson } from '../src/protocol/index.js';
import { inputs, spinEu, spinOutput } from './fixtures/eus.js';
import { startNetwork } from './helpers/network.js';

describe('verification', () => {
  it('escalates when a liar disagrees; the correct output wins and the liar dissents', async () => {
    const { network, client, log } = await startNetwork('liar', [
      { region: 'r1', maxConcurrent: 2, workers: 1 },
      { region: 'r2', maxConcurrent: 2, workers: 1 },
      { region: 'r3', maxConcurrent: 2, workers: 1 },
      { region: 'r4', maxConcurrent: 2, workers: 1, fault: 'lie' },
    ]);
    const liar = network.operators.find((o) => o.spec.fault === 'lie')!.operatorId;
    await client.publishEu(spinEu({ quorum: 2, maxReplicas: 4, iterations: 20_000 }));
    const { taskIds } = await client.submitTasks('spin', inputs(24));
    await log.waitForSettled(taskIds);

    expect(log.of('task.failed')).toHaveLength(0);
    const liarResults = log.of('result.received').filter((e) => e.operatorId === liar);
    expect(liarResults.length).toBeGreaterThan(0);
    const touched = new Set(liarResults.map((e) => e.taskId));
    const escalated = new Set(log.of('task.escalated').map((e) => e.taskId));
    for (const verdict of log.of('task.verified')) {
      const n = taskIds.indexOf(verdict.taskId!);
      expect(verdict.data.outputHash).toBe(hashJson(spinOutput(n, 20_000)));
      expect(verdict.data.agreeing).not.toContain(liar);
      if (touched.has(verdict.taskId)) {
        expect(verdict.data.dissenting).toContain(liar);
        expect(escalated.has(verdict.taskId)).toBe(true);
      }
    }
    const sample = await client.getTask([...touched][0]!);
    const lie = sample.assignments.find((a) => a.operatorId === liar)!;
    expect(lie.status).toBe('rejected');
    expect(lie.dissenting).toBe(true);
    expect(sample.assignments.filter((a) => a.status === 'accepted')).toHaveLength(2);
  });

  it('refuses a result that arrives after its lease expired, and never counts it', async () => {
    const { network, client, log } = await startNetwork(
      'late',
      [
        { region: 'r1', maxConcurrent: 1, workers: 1, fault: 'lateMs=1500' },
        { region: 'r2', maxConcurrent: 1, workers: 1 },
        { region: 'r3', maxConcurrent: 1, workers: 1 },
      ],
      { coordinatorArgs: ['--lease-grace-ms', '200'] },
    );
    const late = network.operators.find((o) => o.spec.fault !== undefined)!.operatorId;
    await client.publishEu(spinEu({ quorum: 1, iterations: 1000, timeoutMs: 300 }));
    const { taskIds } = await client.submitTasks('spin', inputs(6));
    await log.waitForSettled(taskIds);
    const refused = await log.waitFor(
      (e) => e.type === 'results.refused' && e.operatorId === late,
      'a refused late result',
    );

    // Refusals are counted per operator; the first ones are kept as samples.
    expect((refused.data as { counts: Record<string, number> }).counts.LEASE_EXPIRED).toBeGreaterThan(0);
    const data = (refused.data as { sample: { assignmentId: string; code: string; taskId: string }[] }).sample[0]!;
    expect(data.code).toBe('LEASE_EXPIRED');
    const expiry = log.of('assignment.expired').find((e) => e.data.assignmentId === data.assignmentId)!;
    expect(expiry.data.reason).toBe('lease_deadline');
    expect(expiry.seq).toBeLessThan(refused.seq);
    const task = await client.getTask(data.taskId);
    expect(task.status).toBe('verified');
    expect(task.assignments.find((a) => a.id === data.assignmentId)!.status).toBe('expired');
    expect(log.of('task.verified').filter((e) => e.taskId === data.taskId)).toHaveLength(1);
    expect(log.of('task.verified').every((e) => !e.data.agreeing.includes(late))).toBe(true);
  });
});
