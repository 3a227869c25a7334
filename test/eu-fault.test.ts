/**
 * The EU's fault is not the operator's (issue 8, point 4), on real networks:
 * an EU that fills memory until the sandbox stops it, submitted in a batch,
 * and leases that run past their deadline on operators that keep
 * heartbeating. No operator is slashed, every task fails as
 * `eu_resource_exceeded`, the submitter pays for the executions it caused,
 * and the ledger verifies.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { type AssignMessage, type PublishEuRequest } from '../src/protocol/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';
import { RawOperator } from './helpers/raw-operator.js';

const PRICE = 10;

/** Allocates 1 MB buffers until the sandbox's memory limit stops it. */
function memoryFillEu(): PublishEuRequest {
  return {
    manifest: {
      name: 'memory-fill',
      version: '1.0.0',
      description: 'fills memory until the sandbox kills it',
      verification: { policy: 'exact', quorum: 2, maxReplicas: 3 },
      timeoutMs: 5000,
      price: PRICE,
      requirements: { cpu: 1, memoryMb: 16, capabilities: [] },
      inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      outputSchema: { type: 'object' },
    },
    files: {
      'main.js': 'export function run() {\n  const kept = [];\n  for (;;) kept.push(new Uint8Array(1024 * 1024));\n}\n',
    },
  };
}

async function ledgerVerifies(dir: string): Promise<void> {
  const audit = await runCli(['ledger', 'verify', '--data', join(dir, 'coordinator')]);
  expect(audit.stderr).toBe('');
  expect(audit.code).toBe(0);
  expect(audit.stdout).toMatch(/ok: the chain links/);
}

describe("the EU's fault is not the operator's", () => {
  it('a memory-filling EU in a batch: nobody slashed, every task eu_resource_exceeded, the submitter pays its executions', async () => {
    const { network, client, log, dir } = await startNetwork(
      'eu-memory',
      [
        { region: 'r1', maxConcurrent: 2, workers: 1 },
        { region: 'r2', maxConcurrent: 2, workers: 1 },
        { region: 'r3', maxConcurrent: 2, workers: 1 },
      ],
      { minStake: 100, operatorStake: 1000 },
    );
    const admin = network.admin();
    await admin.publishEu(memoryFillEu());
    const account = await admin.createAccount('hostile');
    await admin.deposit(account.id, 1000);
    const dev = new CortenClient(network.url, { apiKey: account.apiKey });

    const { taskIds, escrowed } = await dev.submitTasks('memory-fill', inputs(6));
    expect(escrowed).toBe(6 * 2 * PRICE);
    await log.waitForSettled(taskIds);

    const failed = log.of('task.failed');
    expect(failed).toHaveLength(6);
    expect(failed.every((e) => e.data.reason === 'eu_resource_exceeded' && (e.data.agreeing?.length ?? 0) >= 2)).toBe(
      true,
    );
    expect(log.of('ledger.slashed')).toEqual([]);
    const rewards = log.of('ledger.rewarded');
    const paid = rewards.reduce((n, e) => n + e.data.amount, 0);
    expect(paid).toBeGreaterThanOrEqual(6 * 2 * PRICE);
    expect(await dev.getAccount()).toMatchObject({ balance: 1000 - paid, escrow: 0 });
    for (const op of network.operators)
      expect(await client.getStake(op.operatorId)).toMatchObject({ stake: 1000, eligible: true });
    await ledgerVerifies(dir);
  });

  it('an EU_TIMEOUT on one operator and an overrun on another that kept heartbeating: the EU is at fault, neither is slashed', async () => {
    const { network, log, dir } = await startNetwork('eu-overrun', [], {
      minStake: 100,
      coordinatorArgs: ['--lease-grace-ms', '200'],
    });
    const admin = network.admin();
    // One operator's sandbox stops the EU at its timeout; the other takes its leases and never answers, but heartbeats.
    const ops = [
      await RawOperator.connect(network.url, { region: 'a' }),
      await RawOperator.connect(network.url, { region: 'b' }),
    ];
    for (const op of ops) await admin.stake(op.operatorId, 1000);
    const timedOut = ops[0]!;
    void (async () => {
      for (;;) {
        const frame = (await timedOut.next((f) => f.t === 'assign')) as unknown as AssignMessage;
        timedOut.send({ t: 'results', results: frame.assignments.map((a) => timedOut.errorResult(a, 'EU_TIMEOUT')) });
      }
    })();
    await admin.publishEu(spinEu({ name: 'hang', quorum: 2, maxReplicas: 2, timeoutMs: 100, price: PRICE }));
    const account = await admin.createAccount('dev');
    await admin.deposit(account.id, 1000);
    const dev = new CortenClient(network.url, { apiKey: account.apiKey });

    const { taskIds } = await dev.submitTasks('hang', inputs(4));
    await log.waitForSettled(taskIds);
    expect(log.of('task.failed').map((e) => e.data.reason)).toEqual(Array(4).fill('eu_resource_exceeded'));
    const expired = log.of('assignment.expired');
    expect(expired).toHaveLength(4);
    expect(expired.every((e) => e.data.reason === 'lease_deadline' && e.data.operatorId === ops[1]!.operatorId)).toBe(
      true,
    );
    expect(log.of('ledger.slashed')).toEqual([]);
    expect(await dev.getAccount()).toMatchObject({ balance: 1000 - 4 * 2 * PRICE, escrow: 0 });
    for (const op of ops)
      expect(await admin.getStake(op.operatorId)).toMatchObject({ stake: 1000, earnings: 4 * PRICE });
    for (const op of ops) op.close();
    await ledgerVerifies(dir);
  });
});
