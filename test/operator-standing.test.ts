/**
 * An operator's standing on a real network: a liar is slashed for its
 * dissent and suspended; the coordinator tells its agent after each commit
 * (standing notices), the agent's metrics port shows what it was told, and
 * `corten operator status --key FILE` prints the standing, signed with the
 * operator's key. The standing route refuses unsigned, foreign and replayed
 * requests.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { loadOrCreateKeyFile, signRequest, type OperatorStandingView } from '../src/protocol/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';

/** Re-reads the agent's metrics until `pattern` shows: the standing notice follows the commit, over the socket. */
async function metricsShowing(url: string, pattern: RegExp): Promise<string> {
  for (;;) {
    const text = await (await fetch(url)).text();
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('operator standing', () => {
  it('tells a slashed, suspended liar of it: agent metrics, operator status, signed requests only', async () => {
    const { network, client, log } = await startNetwork(
      'standing',
      [
        { region: 'r1', maxConcurrent: 2, workers: 1 },
        { region: 'r2', maxConcurrent: 2, workers: 1 },
        { region: 'r3', maxConcurrent: 2, workers: 1 },
        { region: 'r4', maxConcurrent: 2, workers: 1, fault: 'lie', name: 'liar', args: ['--metrics-port', '0'] },
      ],
      {
        minStake: 100,
        operatorStake: 300,
        coordinatorArgs: ['--slash-dissent', '30', '--suspend-after-dissents', '2'],
      },
    );
    const liar = network.operators.find((o) => o.spec.fault === 'lie')!;
    const [, metricsUrl] = await liar.waitForLine(/metrics on (http:\/\/\S+)/);
    // Staked after it came online: the deposit's notice reached the agent.
    await metricsShowing(metricsUrl!, /corten_operator_stake_credits 300/);

    await client.publishEu(spinEu({ quorum: 2, maxReplicas: 4, iterations: 20_000 }));
    const { taskIds } = await client.submitTasks('spin', inputs(24));
    await log.waitFor((e) => e.type === 'operator.suspended' && e.operatorId === liar.operatorId, 'liar suspended');
    await log.waitForSettled(taskIds);
    const slashed = log.of('ledger.slashed').filter((e) => e.operatorId === liar.operatorId);
    expect(slashed.length).toBeGreaterThanOrEqual(2);
    const total = slashed.reduce((sum, e) => sum + (e.data as { amount: number }).amount, 0);

    const text = await metricsShowing(metricsUrl!, /corten_operator_eligible 0/);
    expect(text).toContain(`corten_operator_stake_credits ${300 - total}`);
    expect(text).toContain(`corten_operator_slashed_credits_total{reason="dissent"} ${total}`);
    expect(text).toMatch(/corten_operator_tasks_run_total\{eu="spin@[^"]+"\} [1-9]/);
    expect(text).toMatch(/corten_operator_task_duration_seconds_count\{eu="spin@[^"]+"\} [1-9]/);

    const key = join(network.dir, 'keys', 'liar.json');
    const status = await runCli(['operator', 'status', '--key', key, '--coordinator', network.url, '--json']);
    expect(status.stderr).toBe('');
    const standing = JSON.parse(status.stdout) as OperatorStandingView;
    expect(standing).toMatchObject({
      operatorId: liar.operatorId,
      status: 'suspended',
      connected: true,
      stake: 300 - total,
      eligible: false,
      slashes: { count: slashed.length, total },
    });
    expect(standing.statusReason).toMatch(/repeated dissent/);
    expect(standing.slashes.recent[0]).toMatchObject({ amount: 30, reason: 'dissent' });
    expect(standing.suspensions[0]).toMatchObject({ kind: 'suspended' });
    expect(standing.reputation.dissents).toBeGreaterThan(0);
    const people = await runCli(['operator', 'status', '--key', key, '--coordinator', network.url]);
    expect(people.stdout).toMatch(/status +suspended \(repeated dissent/);
    expect(people.stdout).toMatch(new RegExp(`slashes +${slashed.length}, ${total} credits in all`));
    expect(people.stdout).toMatch(/latest slashes\n.*reason[\s\S]*\b30 +dissent/);

    // Unsigned, signed by another operator's key, replayed: refused. The admin may read it.
    const path = `/v1/operators/${liar.operatorId}/standing`;
    const anonymous = await fetch(`${network.url}${path}`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const other = loadOrCreateKeyFile(join(network.dir, 'keys', 'op-1.json')).keys;
    const foreign = await fetch(`${network.url}${path}`, { headers: signRequest(other, 'GET', path, undefined) });
    expect(foreign.status).toBe(403);
    const own = loadOrCreateKeyFile(key).keys;
    const headers = signRequest(own, 'GET', path, undefined);
    expect((await fetch(`${network.url}${path}`, { headers })).status).toBe(200);
    const replay = await fetch(`${network.url}${path}`, { headers });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(/nonce was seen/);
    const stale = signRequest(own, 'GET', path, undefined, Date.now() - 10 * 60_000);
    expect((await fetch(`${network.url}${path}`, { headers: stale })).status).toBe(401);
    const tampered = { ...signRequest(own, 'GET', path, undefined), 'x-corten-signature': 'f'.repeat(128) };
    expect(
      ((await (await fetch(`${network.url}${path}`, { headers: tampered })).json()) as { error: { code: string } })
        .error.code,
    ).toBe('BAD_SIGNATURE');
    expect((await network.admin().getStanding(liar.operatorId)).slashes.count).toBe(slashed.length);
    const signed = new CortenClient(network.url, { operatorKeys: own, adminToken: '' });
    expect((await signed.getStanding(liar.operatorId)).status).toBe('suspended');
    await expect(signed.getStanding('op_00000000000000000000')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
