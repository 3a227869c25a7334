import { describe, expect, it } from 'vitest';
import { inputs, spinEu } from './fixtures/eus.js';
import { liveLeases } from './helpers/leases.js';
import { startNetwork } from './helpers/network.js';

describe('operator lifecycle', () => {
  it('drains on SIGTERM: finishes the work it holds, takes no new work, then leaves', async () => {
    const { network, client, log } = await startNetwork('drain', [
      { region: 'r1', maxConcurrent: 2, workers: 1 },
      { region: 'r2', maxConcurrent: 2, workers: 1 },
    ]);
    await client.publishEu(spinEu({ quorum: 1, iterations: 400_000 }));
    const { taskIds } = await client.submitTasks('spin', inputs(30));
    const [drainer] = network.operators;
    await log.waitFor(
      (e) => e.type === 'task.assigned' && e.operatorId === drainer!.operatorId,
      'work on the operator to drain',
    );
    expect(liveLeases(log).get(drainer!.operatorId) ?? 0).toBeGreaterThan(0);
    drainer!.signal('SIGTERM');

    const draining = await log.waitFor(
      (e) => e.type === 'operator.draining' && e.operatorId === drainer!.operatorId,
      'draining',
    );
    const offline = await log.waitFor(
      (e) => e.type === 'operator.offline' && e.operatorId === drainer!.operatorId,
      'drained operator offline',
    );
    expect((offline.data as { reason: string; expired: number }).reason).toBe('drained');
    expect((offline.data as { expired: number }).expired).toBe(0);
    expect((await drainer!.exited).code).toBe(0);
    // Nothing was given to it once it asked to drain, and nothing it held was lost.
    const between = log.events.filter((e) => e.seq > draining.seq);
    expect(
      between.some(
        (e) => (e.type === 'task.assigned' || e.type === 'task.reassigned') && e.operatorId === drainer!.operatorId,
      ),
    ).toBe(false);
    expect(log.of('assignment.expired').filter((e) => e.data.operatorId === drainer!.operatorId)).toHaveLength(0);
    expect(
      log.events.some(
        (e) => e.type === 'result.received' && e.operatorId === drainer!.operatorId && e.seq > draining.seq,
      ),
    ).toBe(true);

    await log.waitForSettled(taskIds);
    expect(log.of('task.verified')).toHaveLength(30);
  });

  it('declares detected resources with flag overrides, and only capabilities that passed their probe', async () => {
    const { network, client } = await startNetwork('resources', [
      { region: 'r1', args: ['--cpu', '3', '--memory-mb', '2048', '--gpu-memory-mb', '8192'] },
    ]);
    const [op] = await client.listOperators();
    expect(op!.id).toBe(network.operators[0]!.operatorId);
    expect(op!.resources).toMatchObject({ cpu: 3, memoryMb: 2048, gpuMemoryMb: 8192, capabilities: [] });
    expect(op!.maxConcurrent).toBe(3);
    expect(op!.region).toBe('r1');
  });
});

describe('scheduling across regions', () => {
  it('avoids a region an admin marks down, and uses it again once marked up', async () => {
    const { network, client, log } = await startNetwork('region-admin', [
      { region: 'east', maxConcurrent: 2, workers: 1 },
      { region: 'west', maxConcurrent: 2, workers: 1 },
    ]);
    const west = network.operators.find((o) => o.region === 'west')!.operatorId;
    await client.publishEu(spinEu({ quorum: 1, iterations: 1000 }));
    await client.setRegion('west', true, 'maintenance');
    const down = await log.waitFor((e) => e.type === 'region.down', 'region down');
    const first = await client.submitTasks('spin', inputs(20));
    await log.waitForSettled(first.taskIds);
    const assigned = log.events.filter((e) => e.seq > down.seq && e.type === 'task.assigned');
    expect(assigned).toHaveLength(20);
    expect(assigned.every((e) => e.operatorId !== west)).toBe(true);

    await client.setRegion('west', false);
    const up = await log.waitFor((e) => e.type === 'region.up', 'region up');
    const second = await client.submitTasks('spin', inputs(20, 100));
    await log.waitForSettled(second.taskIds);
    expect(log.events.some((e) => e.seq > up.seq && e.type === 'task.assigned' && e.operatorId === west)).toBe(true);
  });

  it('marks a region down when most of its operators fail at once, and keeps work flowing elsewhere', async () => {
    const { network, client, log } = await startNetwork('region-outage', [
      ...Array.from({ length: 4 }, () => ({ region: 'doomed', maxConcurrent: 2, workers: 1 })),
      ...Array.from({ length: 2 }, () => ({ region: 'steady', maxConcurrent: 2, workers: 1 })),
    ]);
    await client.publishEu(spinEu({ quorum: 1, iterations: 1000 }));
    const doomed = network.operators.filter((o) => o.region === 'doomed');
    for (const op of doomed.slice(0, 3)) await op.kill('SIGKILL');
    const down = await log.waitFor(
      (e) => e.type === 'region.down' && (e.data as { region: string }).region === 'doomed',
      'doomed region down',
    );
    expect((down.data as { reason: string }).reason).toMatch(/failures/);

    const { taskIds } = await client.submitTasks('spin', inputs(20));
    await log.waitForSettled(taskIds);
    const survivor = doomed[3]!.operatorId;
    const after = log.events.filter((e) => e.seq > down.seq && e.type === 'task.assigned');
    expect(after).toHaveLength(20);
    expect(after.every((e) => e.operatorId !== survivor)).toBe(true);
    expect(log.of('task.verified')).toHaveLength(20);
  });
});
