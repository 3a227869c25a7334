/**
 * Stake on a real network: an operator without the minimum stake gets no
 * work until it stakes; withdrawing below the floor suspends it, the
 * withdrawal is paid out after the unbonding period, and staking again
 * reinstates it. Reputation figures are served for every operator. A
 * coordinator killed and restarted mid-run slashes nobody for the leases
 * its downtime cost.
 */
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { inputs, MID_RUN_ITERATIONS, spinEu } from './fixtures/eus.js';
import { spread, startNetwork } from './helpers/network.js';

describe('stake', () => {
  it('gates work on the minimum stake; unbonding suspends, pays out after the period, and staking again reinstates', async () => {
    const { network, client, log } = await startNetwork(
      'stake',
      [
        { region: 'r1', maxConcurrent: 2, workers: 1 },
        { region: 'r2', maxConcurrent: 2, workers: 1 },
        { region: 'r3', maxConcurrent: 2, workers: 1, stake: 0 },
      ],
      { minStake: 100, coordinatorArgs: ['--unbonding-ms', '1500'] },
    );
    const newcomer = network.operators.find((o) => o.spec.stake === 0)!.operatorId;
    const admin = network.admin();
    await client.publishEu(spinEu({ quorum: 1, iterations: 20_000 }));

    const first = await client.submitTasks('spin', inputs(20));
    await log.waitForSettled(first.taskIds);
    expect(log.of('task.assigned').some((e) => e.operatorId === newcomer)).toBe(false);
    expect((await client.listOperators()).find((o) => o.id === newcomer)).toMatchObject({
      stake: 0,
      eligible: false,
      status: 'online',
    });
    await expect(admin.stake(newcomer, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const anonymous = new CortenClient(network.url, { apiKey: '', adminToken: '' });
    await expect(anonymous.stake(newcomer, 10)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    await admin.stake(newcomer, 150);
    const second = await client.submitTasks('spin', inputs(40, 100));
    await log.waitFor(
      (e) => e.type === 'task.assigned' && e.operatorId === newcomer,
      'work for the newly staked operator',
    );
    await log.waitForSettled(second.taskIds);

    // Withdrawing 100 of 150 leaves it below the floor: suspended, the stake unbonds and is paid out after the period.
    const { availableAt } = await admin.unstake(newcomer, 100);
    const suspended = await log.waitFor(
      (e) => e.type === 'operator.suspended' && e.operatorId === newcomer,
      'suspended below the floor',
    );
    expect((suspended.data as { reason: string }).reason).toMatch(/stake below the minimum: 50 staked, 100 required/);
    expect(log.of('ledger.withdrawal_requested').find((e) => e.data.operatorId === newcomer)!.data).toMatchObject({
      amount: 100,
      availableAt,
    });
    const third = await client.submitTasks('spin', inputs(10, 200));
    await log.waitForSettled(third.taskIds);
    expect(
      log.events.some((e) => e.seq > suspended.seq && e.type === 'task.assigned' && e.operatorId === newcomer),
    ).toBe(false);
    const withdrawn = await log.waitFor(
      (e) => e.type === 'ledger.withdrawn' && e.operatorId === newcomer,
      'payout after unbonding',
    );
    expect(withdrawn.data).toMatchObject({ operatorId: newcomer, amount: 100 });
    expect(withdrawn.ts).toBeGreaterThanOrEqual(availableAt);
    expect(await client.getStake(newcomer)).toMatchObject({
      stake: 50,
      unbonding: 0,
      eligible: false,
      pendingWithdrawals: [],
    });

    await admin.stake(newcomer, 100);
    await log.waitFor((e) => e.type === 'operator.reinstated' && e.operatorId === newcomer, 'reinstated by a deposit');
    expect((await client.listOperators()).find((o) => o.id === newcomer)).toMatchObject({
      stake: 150,
      eligible: true,
      status: 'online',
    });

    // Reputation: per-EU latency and reported resource use, completion, agreement, uptime, and the score the scheduler
    // ranks by.
    const worker = network.operators.find((o) => o.spec.stake === undefined)!.operatorId;
    const rep = await client.getReputation(worker);
    expect(rep.latency).toHaveLength(1);
    expect(rep.latency[0]!.samples).toBeGreaterThan(0);
    expect(rep.latency[0]!.p95Ms).toBeGreaterThanOrEqual(rep.latency[0]!.p50Ms);
    expect(rep.latency[0]!.durationMs).toBeGreaterThan(0);
    expect(rep.leaseCompletion).toBeGreaterThan(0.9);
    expect(rep.uptime).toBeGreaterThan(0.5);
    expect(rep.score).toBeGreaterThan(0);
    expect(rep.health.degraded).toBe(false);
    await expect(client.getReputation('op_00000000000000000000')).rejects.toMatchObject({ code: 'OPERATOR_NOT_FOUND' });
  });

  it('slashes nobody for leases lost while the coordinator was down (restart and reconnect window)', async () => {
    const { network, client, log } = await startNetwork(
      'stake-restart',
      spread(['eu-west', 'us-east', 'ap-south'], 6, { maxConcurrent: 2, workers: 1 }),
      { minStake: 100 },
    );
    await client.publishEu(spinEu({ quorum: 2, iterations: MID_RUN_ITERATIONS }));
    const { taskIds } = await client.submitTasks('spin', inputs(120));
    await log.waitForCount((e) => e.type === 'task.verified', 20, 'verified tasks');

    await network.coordinator!.kill('SIGKILL');
    await network.startCoordinator();
    await log.follow();
    const started = await log.waitFor(
      (e) => e.type === 'coordinator.started' && (e.data as { recoveredLeases: number }).recoveredLeases > 0,
      'restart',
    );
    await log.waitForSettled(taskIds);
    expect(log.of('task.verified').length).toBe(120);
    const lost = log.events.filter((e) => e.seq > started.seq && e.type === 'assignment.expired');
    const slashes = log.of('ledger.slashed');
    expect(slashes).toEqual([]);
    // Stake survived the restart (balances are reloaded from the store).
    for (const op of await client.listOperators()) expect(op.stake).toBe(200);
    expect(
      lost.every((e) =>
        ['coordinator_restart', 'operator_offline', 'lease_deadline'].includes((e.data as { reason: string }).reason),
      ),
    ).toBe(true);
  });
});
