/**
 * The proactive policy on a real network: an operator whose leases keep
 * failing (it holds every result past its lease) is marked degraded, gets
 * fewer slots, and its later leases are moved early (expired as
 * `proactive`, not slashed) instead of waiting out their deadline.
 */
import { describe, expect, it } from 'vitest';
import { inputs, spinEu } from './fixtures/eus.js';
import { startNetwork } from './helpers/network.js';

describe('proactive reassignment', () => {
  it('degrades an operator with failing leases, gives it less work and moves its leases early', async () => {
    const { network, client, log } = await startNetwork(
      'proactive',
      [
        { region: 'r1', maxConcurrent: 2, workers: 1 },
        { region: 'r2', maxConcurrent: 2, workers: 1 },
        { region: 'r3', maxConcurrent: 2, workers: 1 },
        { region: 'r4', maxConcurrent: 2, workers: 1, fault: 'lateMs=8000' },
      ],
      { minStake: 100, coordinatorArgs: ['--lease-grace-ms', '200'] },
    );
    const late = network.operators.find((o) => o.spec.fault !== undefined)!.operatorId;
    await client.publishEu(spinEu({ quorum: 1, iterations: 20_000, timeoutMs: 5000 }));

    const first = await client.submitTasks('spin', inputs(40));
    const degraded = await log.waitFor(
      (e) => e.type === 'operator.degraded' && e.operatorId === late,
      'the late operator degraded',
    );
    expect((degraded.data as { reason: string }).reason).toMatch(/failing leases/);
    await log.waitForSettled(first.taskIds);

    const second = await client.submitTasks('spin', inputs(60, 100));
    const moved = await log.waitFor(
      (e) =>
        e.type === 'assignment.expired' &&
        e.operatorId === late &&
        (e.data as { reason: string }).reason === 'proactive',
      'a lease moved early',
    );
    await log.waitForSettled(second.taskIds);
    expect(log.of('task.verified')).toHaveLength(100);
    const reassigned = log
      .of('task.reassigned')
      .find((e) => e.data.replaces.assignmentId === (moved.data as { assignmentId: string }).assignmentId)!;
    expect(reassigned.data.replaces.reason).toBe('proactive');
    expect(reassigned.operatorId).not.toBe(late);

    // Once degraded it held at most half its slots (1 of 2) at a time.
    const live = new Set<string>();
    let most = 0;
    for (const e of log.events) {
      const id = (e.data as { assignmentId?: string }).assignmentId;
      if (e.operatorId !== late || !id) continue;
      if (e.type === 'task.assigned' || e.type === 'task.reassigned') {
        live.add(id);
        // Work taken before the degradation may still be held; new work waits until it is below the allowance.
        if (e.seq > degraded.seq) most = Math.max(most, live.size);
      } else if (
        ['result.received', 'assignment.expired', 'assignment.cancelled', 'assignment.released'].includes(e.type)
      )
        live.delete(id);
    }
    expect(most).toBeLessThanOrEqual(1);
    // Expiries it caused are slashed; moves the coordinator chose are not.
    const slashes = log.of('ledger.slashed').filter((e) => e.data.operatorId === late);
    expect(slashes.length).toBeGreaterThan(0);
    expect(slashes.every((e) => e.data.reason === 'lease_deadline')).toBe(true);
    const rep = await client.getReputation(late);
    expect(rep.leaseCompletion).toBeLessThan(0.5);
    expect(rep.score).toBeLessThan(
      (await client.getReputation(network.operators.find((o) => o.operatorId !== late)!.operatorId)).score,
    );
  });
});
