import { describe, expect, it } from 'vitest';
import { hashJson } from '../src/protocol/index.js';
import { inputs, MID_RUN_ITERATIONS as ITERATIONS, spinEu, spinOutput } from './fixtures/eus.js';
import { busiest, liveLeases } from './helpers/leases.js';
import { spread, startNetwork } from './helpers/network.js';

describe('failover', () => {
  it('verifies all 200 tasks at quorum 2 when two of 12 operators in 3 regions are killed with SIGKILL mid-run', async () => {
    const { network, client, log } = await startNetwork(
      'kill9',
      spread(['eu-west', 'us-east', 'ap-south'], 12, { maxConcurrent: 2, workers: 1 }),
    );
    await client.publishEu(spinEu({ quorum: 2, iterations: ITERATIONS }));
    const { taskIds } = await client.submitTasks('spin', inputs(200));

    await log.waitForCount((e) => e.type === 'task.verified', 50, 'verified tasks');
    const victims = busiest(network.operators, log, 2);
    const held = liveLeases(log);
    expect(victims.map((v) => held.get(v.operatorId) ?? 0).every((n) => n > 0)).toBe(true);
    for (const victim of victims) await victim.kill('SIGKILL');

    await log.waitForSettled(taskIds);
    const verified = log.of('task.verified');
    expect(new Set(verified.map((e) => e.taskId))).toEqual(new Set(taskIds));
    expect(verified).toHaveLength(200);
    expect(log.of('task.failed')).toHaveLength(0);

    const victimIds = new Set(victims.map((v) => v.operatorId));
    for (const id of victimIds) {
      expect(log.of('operator.offline').some((e) => e.operatorId === id)).toBe(true);
    }
    const expired = log.of('assignment.expired').filter((e) => victimIds.has(e.data.operatorId));
    expect(expired.length).toBeGreaterThan(0);
    const reassigned = log.of('task.reassigned').filter((e) => victimIds.has(e.data.replaces.operatorId));
    expect(new Set(reassigned.map((e) => e.data.replaces.assignmentId))).toEqual(
      new Set(expired.map((e) => e.data.assignmentId)),
    );
    // Nothing was assigned to a dead operator after its death was noticed.
    for (const id of victimIds) {
      const offlineSeq = log.of('operator.offline').find((e) => e.operatorId === id)!.seq;
      expect(
        log.events.some(
          (e) =>
            e.seq > offlineSeq && (e.type === 'task.assigned' || e.type === 'task.reassigned') && e.operatorId === id,
        ),
      ).toBe(false);
    }
    // Verdicts are the right answers, and replicas of a task ran in distinct regions.
    for (const id of taskIds.slice(0, 10)) {
      const task = await client.getTask(id);
      const n = taskIds.indexOf(id);
      expect(task.verdict?.outputHash).toBe(hashJson(spinOutput(n, ITERATIONS)));
      const accepted = task.assignments.filter((a) => a.status === 'accepted');
      expect(accepted).toHaveLength(2);
      const ops = await client.listOperators();
      const regionOf = new Map(ops.map((o) => [o.id, o.region]));
      expect(new Set(accepted.map((a) => regionOf.get(a.operatorId))).size).toBe(2);
    }
  });

  it('moves the work of a hung operator (SIGSTOP) once its heartbeats stop', async () => {
    const { network, client, log } = await startNetwork(
      'sigstop',
      spread(['eu-west', 'us-east'], 6, { maxConcurrent: 2, workers: 1 }),
    );
    await client.publishEu(spinEu({ quorum: 1, iterations: ITERATIONS }));
    const { taskIds } = await client.submitTasks('spin', inputs(80));
    await log.waitForCount((e) => e.type === 'task.verified', 10, 'verified tasks');
    const [victim] = busiest(network.operators, log, 1);
    expect(liveLeases(log).get(victim!.operatorId) ?? 0).toBeGreaterThan(0);
    victim!.signal('SIGSTOP');

    const offline = await log.waitFor(
      (e) => e.type === 'operator.offline' && e.operatorId === victim!.operatorId,
      'hung operator offline',
    );
    expect((offline.data as { reason: string }).reason).toBe('heartbeat_timeout');
    await log.waitForSettled(taskIds);
    victim!.signal('SIGCONT');

    expect(new Set(log.of('task.verified').map((e) => e.taskId)).size).toBe(80);
    const expired = log.of('assignment.expired').filter((e) => e.data.operatorId === victim!.operatorId);
    expect(expired.length).toBeGreaterThan(0);
    const moved = log.of('task.reassigned').filter((e) => e.data.replaces.operatorId === victim!.operatorId);
    expect(moved.length).toBe(expired.length);
    expect(moved.every((e) => e.data.operatorId !== victim!.operatorId)).toBe(true);
  });
});
