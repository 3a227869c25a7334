/**
 * Economics on a real network (coordinator and operator processes on
 * loopback): accounts and deposits, escrow at submission, refusal of what a
 * balance cannot cover, rewards to agreeing operators, slashes of a liar
 * until repeated dissent suspends it, the ledger verified by the CLI from
 * the data folder and through the API, and signed receipts checked offline
 * by the CLI (and a tampered one refused).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { hashJson, verifyReceipt, type CortenError } from '../src/protocol/index.js';
import { inputs, spinEu, spinOutput } from './fixtures/eus.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';

const ITERATIONS = 20_000;

describe('economics', () => {
  it('escrows, pays agreeing operators, slashes and suspends a liar, refuses what the balance cannot cover; the ledger and receipts verify', async () => {
    const { network, client, log, dir } = await startNetwork(
      'economics',
      [
        { region: 'r1', maxConcurrent: 2, workers: 1 },
        { region: 'r2', maxConcurrent: 2, workers: 1 },
        { region: 'r3', maxConcurrent: 2, workers: 1 },
        { region: 'r4', maxConcurrent: 2, workers: 1, fault: 'lie' },
      ],
      { minStake: 100, operatorStake: 1000 },
    );
    const liar = network.operators.find((o) => o.spec.fault === 'lie')!.operatorId;
    const admin = network.admin();
    await admin.publishEu(spinEu({ quorum: 2, maxReplicas: 4, iterations: ITERATIONS, price: 10 }));

    const account = await admin.createAccount('newsroom');
    expect(account.apiKey).toMatch(/^ck_[0-9a-f]{48}$/);
    await admin.deposit(account.id, 500);
    const dev = new CortenClient(network.url, { apiKey: account.apiKey });

    // Without a key a priced EU is refused; beyond the balance too, and neither changes anything.
    await expect(client.submitTasks('spin', inputs(1))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const before = { stats: await client.stats(), events: (await client.allEvents()).length };
    const refusal = await dev.submitTasks('spin', inputs(30)).catch((e: CortenError & { httpStatus: number }) => e);
    expect(refusal).toMatchObject({ code: 'INSUFFICIENT_BALANCE', httpStatus: 422 });
    expect((refusal as Error).message).toMatch(/need 600 credits.*holds 500/);
    expect((await client.stats()).tasks).toEqual(before.stats.tasks);
    expect((await client.allEvents()).length).toBe(before.events);
    expect(await dev.getAccount()).toMatchObject({ balance: 500, escrow: 0 });

    const { taskIds, escrowed } = await dev.submitTasks('spin', inputs(20));
    expect(escrowed).toBe(400);
    await log.waitForSettled(taskIds);
    expect(log.of('task.verified')).toHaveLength(20);
    for (const v of log.of('task.verified'))
      expect(v.data.outputHash).toBe(hashJson(spinOutput(taskIds.indexOf(v.taskId!), ITERATIONS)));

    // Two agreeing operators paid per task, nothing refunded, the liar slashed for each dissent and then suspended.
    const rewards = log.of('ledger.rewarded');
    expect(rewards).toHaveLength(40);
    expect(rewards.every((e) => e.data.amount === 10 && e.data.operatorId !== liar)).toBe(true);
    expect(log.of('ledger.refunded')).toHaveLength(0);
    const slashes = log.of('ledger.slashed');
    expect(slashes.length).toBeGreaterThan(0);
    expect(
      slashes.every((e) => e.data.operatorId === liar && e.data.reason === 'dissent' && e.data.amount === 50),
    ).toBe(true);
    const suspended = await log.waitFor(
      (e) => e.type === 'operator.suspended' && e.operatorId === liar,
      'liar suspended',
    );
    expect((suspended.data as { reason: string }).reason).toMatch(/repeated dissent/);
    expect(
      log.events.some(
        (e) =>
          e.seq > suspended.seq && e.type.startsWith('task.') && e.type.endsWith('assigned') && e.operatorId === liar,
      ),
    ).toBe(false);
    expect(log.of('task.verified')).toHaveLength(20);

    expect(await dev.getAccount()).toMatchObject({ balance: 100, escrow: 0 });
    const ops = await client.listOperators();
    expect(ops.find((o) => o.id === liar)).toMatchObject({
      status: 'suspended',
      stake: 1000 - 50 * slashes.length,
      eligible: false,
    });
    // Suspended means unusable everywhere: its stake is above the minimum, yet `stake show` and the stats say so.
    expect(await client.getStake(liar)).toMatchObject({ stake: 1000 - 50 * slashes.length, eligible: false });
    expect((await client.stats()).operators).toMatchObject({ online: 3, total: 4 });
    const stakes = await Promise.all(
      network.operators.filter((o) => o.operatorId !== liar).map((o) => client.getStake(o.operatorId)),
    );
    expect(stakes.reduce((n, s) => n + s.earnings, 0)).toBe(400);

    // The ledger verifies from the data folder (no coordinator needed) and through the admin API.
    const offline = await runCli(['ledger', 'verify', '--data', join(dir, 'coordinator')]);
    expect(offline.stderr).toBe('');
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/ok: the chain links/);
    const viaApi = await runCli(['ledger', 'verify', '--coordinator', network.url, '--json'], {
      CORTEN_ADMIN_TOKEN: network.adminToken,
    });
    expect(viaApi.code).toBe(0);
    const audit = JSON.parse(viaApi.stdout) as { ok: boolean; balances: Record<string, number>; deposited: number };
    expect(audit.ok).toBe(true);
    expect(audit.deposited).toBe(500 + 4 * 1000);
    expect(audit.balances.treasury).toBe(50 * slashes.length);

    // A receipt of a task the liar touched: two operator signatures, the escrow and settlement entries; offline check
    // passes, tampering fails.
    const touched = slashes[0]!.data.taskId!;
    const receipt = await client.getReceipt(touched);
    expect(verifyReceipt(receipt).ok).toBe(true);
    expect(receipt.agreeing).toHaveLength(2);
    expect(receipt.agreeing.map((s) => s.operatorId)).not.toContain(liar);
    expect(receipt.ledgerEntries).toEqual(
      expect.arrayContaining([
        slashes[0]!.data.entryId,
        ...rewards.filter((r) => r.taskId === touched).map((r) => r.data.entryId),
      ]),
    );
    const file = join(dir, 'receipt.json');
    writeFileSync(file, JSON.stringify(receipt));
    const good = await runCli(['receipt', 'verify', file, '--coordinator-key', receipt.coordinator.publicKey]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/ok: task/);
    const tampered = JSON.parse(readFileSync(file, 'utf8')) as typeof receipt;
    tampered.outputHash = hashJson({ n: 0, h: 42 });
    writeFileSync(file, JSON.stringify(tampered));
    const bad = await runCli(['receipt', 'verify', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/RECEIPT_INVALID: .*coordinator signature does not match/);
    await expect(client.getReceipt('t_nope')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });
});
