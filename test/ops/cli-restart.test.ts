/**
 * Long-running CLI commands across a coordinator restart: `events --follow`,
 * `task wait` and `task submit --wait` run as real processes while the
 * coordinator is killed with SIGKILL and restarted on the same data folder
 * and port while part of their work waits for an operator that starts after
 * it. Each must reconnect, resume from its last event id and finish
 * with no event lost or repeated.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import type { CortenEvent } from '../../src/protocol/index.js';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { spread, startNetwork } from '../helpers/network.js';

const BATCH = 40;

describe('the CLI across a coordinator restart', () => {
  it('events --follow, task wait and task submit --wait reconnect, resume and finish with nothing lost or repeated', async () => {
    // The first operators serve only `spin`; `spin-late` waits for an operator started after the restart, so
    // both waiting commands still have work open when the coordinator dies, however fast the machine is.
    const operators = spread(['eu-west', 'us-east'], 2, { maxConcurrent: 1, workers: 1, args: ['--eus', 'spin'] });
    const { network, log, dir } = await startNetwork('cli-restart', operators);
    // An account's key, so the commands act as a developer would (and see what the account owns).
    const { apiKey } = await network.admin().createAccount('cli');
    const client = new CortenClient(network.url, { apiKey });
    const env = { CORTEN_URL: network.url, CORTEN_API_KEY: apiKey };
    await client.publishEu(spinEu({ quorum: 1, iterations: 400_000 }));
    await client.publishEu(spinEu({ name: 'spin-late', quorum: 1, iterations: 400_000 }));

    const early = await client.submitTasks('spin', inputs(1, 1000));
    await log.waitForSettled(early.taskIds);
    const events = startCli(['events', '--follow', '--after', '0'], env);
    const waited = await client.submitTasks('spin', inputs(BATCH));
    const late = await client.submitTasks('spin-late', inputs(5, 2000));
    // One task settled before `task wait` started: it must still be reported, from its status.
    const wait = startCli(['task', 'wait', ...early.taskIds, ...waited.taskIds, ...late.taskIds], env);
    const file = join(dir, 'inputs.jsonl');
    writeFileSync(
      file,
      inputs(BATCH, 500)
        .map((i) => JSON.stringify(i))
        .join('\n'),
    );
    const submit = startCli(['task', 'submit', 'spin-late', '--file', file, '--wait'], env);
    await log.waitForCount((e) => e.type === 'task.submitted', 2 * BATCH + 6, 'submitted tasks');
    await log.waitForCount((e) => e.type === 'task.verified', 5, 'verified tasks');
    await events.waitForLines((l) => l.includes('"task.verified"'), 3);
    // Both waits are following the stream before the coordinator dies, or they would have nothing to resume.
    await wait.waitForStderr('waiting for');
    await submit.waitForStderr('waiting for');

    await network.coordinator!.kill('SIGKILL');
    expect(await client.stats().catch(() => null)).toBeNull();
    await network.startCoordinator();
    await log.follow();
    await network.startOperators([{ region: 'eu-west', maxConcurrent: 2, workers: 1, args: ['--eus', 'spin-late'] }]);

    const statuses = await settledJson(wait);
    expect(Object.keys(statuses)).toEqual([...early.taskIds, ...waited.taskIds, ...late.taskIds]);
    expect(new Set(Object.values(statuses))).toEqual(new Set(['verified']));
    expect(wait.stderr()).toContain('reconnecting');

    expect(await submit.exited).toBe(0);
    expect(submit.stderr()).toContain(`${BATCH} verified, 0 failed`);
    expect(submit.stderr()).toContain('reconnecting');
    expect(submit.lines.join('\n')).toMatch(/"t_/);

    // The follower printed the whole log, in order, once: compare it with the store's log up to a late event.
    const all = await client.allEvents();
    const head = all.at(-1)!.seq;
    await events.waitForLines((l) => (JSON.parse(l) as CortenEvent).seq >= head);
    events.signal('SIGINT');
    expect(await events.exited).toBe(0);
    const printed = events.lines.map((l) => JSON.parse(l) as CortenEvent).filter((e) => e.seq <= head);
    expect(printed.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(printed).toEqual(all);
    expect(all.some((e) => e.type === 'coordinator.started' && e.seq > all[0]!.seq)).toBe(true);
    expect(events.stderr()).toContain('reconnecting in');
  });
});

async function settledJson(cli: CliProcess): Promise<Record<string, string>> {
  const code = await cli.exited;
  if (code !== 0) throw new Error(`task wait exited ${code}: ${cli.stderr()}`);
  return JSON.parse(cli.lines.join('\n')) as Record<string, string>;
}
