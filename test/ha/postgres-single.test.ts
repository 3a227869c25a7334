/**
 * One coordinator on PostgreSQL, the normal flow with real processes:
 * priced tasks at quorum 2 on six operators, the coordinator killed with
 * SIGKILL mid-run and started again on the same schema (it waits out its own
 * old lease, takes it over and rebuilds memory from the database), every
 * task verified exactly once, task counts and search read from the schema,
 * and the ledger verified by the CLI straight from the schema.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { runCli } from '../helpers/cli.js';
import { spread, startNetwork } from '../helpers/network.js';
import { dropSchemas, freshSchema, storeUrl } from '../helpers/postgres.js';

const schema = freshSchema('single');
afterAll(() => dropSchemas([schema]));

describe('a coordinator on PostgreSQL', () => {
  it('runs priced work, survives kill -9 and a restart on the same schema, verifies each task once; the ledger verifies', async () => {
    const { network, client, log } = await startNetwork(
      'pg-single',
      spread(['eu-west', 'us-east', 'ap-south'], 6, { maxConcurrent: 2, workers: 1 }),
      { coordinatorArgs: ['--store', storeUrl(schema)], minStake: 10, operatorStake: 100 },
    );
    const admin = network.admin();
    await admin.publishEu(spinEu({ quorum: 2, iterations: 100_000, price: 2 }));
    const account = await admin.createAccount('pg');
    await admin.deposit(account.id, 1000);
    const dev = new CortenClient(network.url, { apiKey: account.apiKey });
    const { taskIds, escrowed } = await dev.submitTasks('spin', inputs(120));
    expect(escrowed).toBe(480);
    await log.waitForCount((e) => e.type === 'task.verified', 20, 'verified tasks');

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
    expect(perTask.size).toBe(120);
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
    expect(await client.allEvents({ types: ['task.failed'] })).toHaveLength(0);
    const all = await client.allEvents();
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    // Two operators paid per task and the developer charged for exactly that.
    expect((await dev.getAccount()).balance).toBe(1000 - 480);
    expect(await client.getLeader()).toMatchObject({ role: 'leader', leader: network.url });
    // Task counts and search, from PostgreSQL.
    expect((await dev.countTasks()).byStatus).toMatchObject({ verified: 120, failed: 0, pending: 0 });
    const inRegion = await dev.listTasks({ region: 'eu-west', status: 'verified', order: 'desc', limit: 1000 });
    expect(inRegion.length).toBeGreaterThan(0);
    expect(inRegion.every((t) => taskIds.includes(t.id))).toBe(true);
    const submitted = inRegion.map((t) => t.submittedAt);
    expect(submitted).toEqual([...submitted].sort((a, b) => b - a));

    const audit = await runCli(['ledger', 'verify', '--store', storeUrl(schema), '--json']);
    expect(audit.stderr).toBe('');
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true });
  });
});
