import { describe, expect, it } from 'vitest';
import { inputs, MID_RUN_ITERATIONS, spinEu } from './fixtures/eus.js';
import { spread, startNetwork } from './helpers/network.js';

describe('coordinator restart', () => {
  it('loses nothing when the coordinator is killed mid-run and restarted on the same data; every task is verified exactly once', async () => {
    const { network, client, log } = await startNetwork(
      'restart',
      spread(['eu-west', 'us-east', 'ap-south'], 6, { maxConcurrent: 2, workers: 1 }),
    );
    await client.publishEu(spinEu({ quorum: 2, iterations: MID_RUN_ITERATIONS }));
    const { taskIds } = await client.submitTasks('spin', inputs(200));
    await log.waitForCount((e) => e.type === 'task.verified', 40, 'verified tasks');

    await network.coordinator!.kill('SIGKILL');
    await network.startCoordinator();
    await log.follow();
    const started = await log.waitFor(
      (e) => e.type === 'coordinator.started' && (e.data as { recoveredTasks: number }).recoveredTasks > 0,
      'restart',
    );
    expect((started.data as { recoveredLeases: number }).recoveredLeases).toBeGreaterThan(0);
    await log.waitForSettled(taskIds);

    const verified = await client.allEvents({ types: ['task.verified'] });
    const perTask = new Map<string, number>();
    for (const e of verified) perTask.set(e.taskId!, (perTask.get(e.taskId!) ?? 0) + 1);
    expect(perTask.size).toBe(200);
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
    expect(await client.allEvents({ types: ['task.failed'] })).toHaveLength(0);
    const stats = await client.stats();
    expect(stats.tasks.verified).toBe(200);
    expect(stats.tasks.open).toBe(0);
    // Operators came back and resumed leases they held across the restart.
    const online = log.of('operator.online').filter((e) => e.seq > started.seq);
    expect(online.length).toBe(6);
    expect(online.reduce((n, e) => n + e.data.resumed, 0)).toBeGreaterThan(0);
  });
});
