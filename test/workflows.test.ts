/**
 * Workflows on a real network: documents refused with the field named, jobs
 * that chain, map and skip steps with every step's escrow reserved at
 * submission and the rest released at the end, a cancelled job whose waiting
 * tasks are cancelled and refunded, and an upgrade: refused when it drops a
 * step, then a backfill (dry run, run, run again) that runs only the new step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import type { CortenError, JobView } from '../src/protocol/index.js';
import { incEu, pipeline } from './fixtures/workflows.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: CortenError & { httpStatus: number; details: unknown }) => e,
  );

describe('workflows', () => {
  it('publishes, runs, cancels, refuses bad documents and backfills once', async () => {
    const { network, client, log, dir } = await startNetwork('workflows', [
      { region: 'r1', maxConcurrent: 4, workers: 1 },
      { region: 'r2', maxConcurrent: 4, workers: 1 },
    ]);
    const admin = network.admin();
    await admin.publishEu(incEu({ price: 1 }));
    await admin.publishEu(incEu({ name: 'flag', price: 2, capabilities: ['nobody-has-this'] }));
    const account = await admin.createAccount('news');
    await admin.deposit(account.id, 1000);
    const dev = new CortenClient(network.url, { apiKey: account.apiKey });

    // Bad documents: the field is named; cycles, unknown steps and missing EUs are refused.
    const bad = await refusal(dev.publishWorkflow({ name: 'x', version: '1', steps: [] }));
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED', httpStatus: 400 });
    expect(JSON.stringify(bad!.details)).toMatch(/document\.version/);
    expect(JSON.stringify(bad!.details)).toMatch(/document\.steps/);
    const cycle = {
      name: 'loop',
      version: '1.0.0',
      steps: [
        { id: 'a', eu: 'inc', input: { n: '/steps/b/n' } },
        { id: 'b', eu: 'inc', input: { n: '/steps/a/n' } },
      ],
    };
    expect(await refusal(dev.publishWorkflow(cycle))).toMatchObject({ code: 'WORKFLOW_INVALID', httpStatus: 422 });
    const unknown = { name: 'u', version: '1.0.0', steps: [{ id: 'a', eu: 'inc', input: '/steps/zz' }] };
    const unknownError = await refusal(dev.publishWorkflow(unknown));
    expect(unknownError?.message).toMatch(/document\.steps\.0\.input: reads unknown step 'zz'/);
    const missing = { name: 'm', version: '1.0.0', steps: [{ id: 'a', eu: 'nope@^1' }] };
    expect(await refusal(dev.publishWorkflow(missing))).toMatchObject({ code: 'WORKFLOW_INVALID' });
    expect(await refusal(dev.publishWorkflow('steps: [unclosed'))).toMatchObject({ code: 'VALIDATION_FAILED' });

    // Publish as YAML; the same content again is no change, other content under the same version a 409.
    const yaml = JSON.stringify(pipeline());
    const published = await dev.publishWorkflow(yaml);
    expect(published).toMatchObject({ name: 'pipeline', version: '1.0.0', created: true });
    expect(published.id).toMatch(/^wf_/);
    expect(await dev.publishWorkflow(pipeline())).toMatchObject({ id: published.id, created: false });
    const conflict = await refusal(dev.publishWorkflow(pipeline('1.0.0', [{ id: 'extra', eu: 'inc' }])));
    expect(conflict).toMatchObject({ code: 'WORKFLOW_VERSION_CONFLICT', httpStatus: 409 });
    expect((await dev.listWorkflows()).map((w) => w.version)).toEqual(['1.0.0']);
    // Another account neither sees it nor may publish its name.
    const other = await admin.createAccount('other');
    const stranger = new CortenClient(network.url, { apiKey: other.apiKey });
    expect(await stranger.listWorkflows()).toEqual([]);
    expect(await refusal(stranger.getWorkflow('pipeline'))).toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    expect(await refusal(stranger.publishWorkflow(pipeline('9.0.0')))).toMatchObject({ code: 'WORKFLOW_NAME_TAKEN' });

    // Escrow for every step is reserved at submission: 1 + 1 + 4 (maxItems) + 1 = 7 credits a job.
    const tooMany = await refusal(
      dev.submitJobs(
        'pipeline',
        Array.from({ length: 200 }, () => ({ n: 1, list: [] })),
      ),
    );
    expect(tooMany).toMatchObject({ code: 'INSUFFICIENT_BALANCE', httpStatus: 422 });
    expect(await dev.getAccount()).toMatchObject({ balance: 1000, escrow: 0 });
    const inputs = [
      { n: 1, list: [10, 20] },
      { n: 200, list: [] },
      { n: 5, list: [1, 2, 3, 4] },
    ];
    const submitted = await dev.submitJobs('pipeline', inputs);
    expect(submitted.escrowed).toBe(21);
    const statuses = await dev.waitForJobs(submitted.jobIds, { after: submitted.after, timeoutMs: 60_000 });
    expect([...statuses.values()]).toEqual(['completed', 'completed', 'completed']);
    const [one, two, three] = await Promise.all(submitted.jobIds.map((id) => dev.getJob(id)));
    const out = (job: JobView, id: string) => job.steps.find((s) => s.id === id)!;
    expect(out(one!, 'second').output).toEqual({ n: 3 });
    expect(out(one!, 'each').output).toEqual([{ n: 11 }, { n: 21 }]);
    expect(out(one!, 'big')).toMatchObject({ status: 'skipped' });
    expect(out(two!, 'big')).toMatchObject({ status: 'verified', output: { n: 203 } });
    expect(out(two!, 'each')).toMatchObject({ status: 'verified', output: [] });
    expect(out(three!, 'each').output).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    expect(out(three!, 'each').tasks.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    // Tasks run: 3 + 3 + 1 (big, job two) + 2 + 0 + 4 (each) = 13 credits paid; the rest is back.
    expect(await dev.getAccount()).toMatchObject({ balance: 1000 - 13, escrow: 0 });

    // A step no online operator can run waits, and says why; cancelling refunds everything and slashes nobody.
    await dev.publishWorkflow({
      name: 'stuck',
      version: '1.0.0',
      steps: [{ id: 'wait', eu: 'flag', input: { n: '/input/n' } }],
    });
    const stuck = await dev.submitJobs('stuck', [{ n: 1 }]);
    const jobId = stuck.jobIds[0]!;
    await log.waitFor((e) => e.type === 'task.waiting' && (e.data as { reason: unknown }).reason !== null, 'waiting');
    expect((await dev.getJob(jobId)).steps[0]).toMatchObject({ status: 'waiting', reason: 'no_capable_operator' });
    const cancelled = await dev.cancelJob(jobId);
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(cancelled.steps[0]).toMatchObject({ status: 'cancelled' });
    expect(
      log.of('job.cancelled').some((e) => e.data.jobId === jobId) || (await dev.getJob(jobId)).status,
    ).toBeTruthy();
    expect(await dev.getAccount()).toMatchObject({ balance: 1000 - 13, escrow: 0 });
    expect(log.of('ledger.slashed')).toHaveLength(0);

    // Version 2 adds a step; a version that drops one is refused when jobs would adopt it.
    await dev.publishWorkflow(pipeline('2.0.0', [{ id: 'after', eu: 'inc@1.0.0', input: { n: '/steps/second/n' } }]));
    await dev.publishWorkflow({ ...(pipeline('3.0.0') as { steps: object[] }), steps: [{ id: 'first', eu: 'inc' }] });
    const dropped = await refusal(dev.upgradeWorkflow('pipeline', { version: '3.0.0', backfill: true }));
    expect(dropped).toMatchObject({ code: 'WORKFLOW_INVALID' });
    const before = (await client.allEvents()).length;
    const dry = await dev.upgradeWorkflow('pipeline', { version: '2.0.0', backfill: true, dryRun: true });
    expect((await client.allEvents()).length).toBe(before);
    expect(dry).toMatchObject({ backfilled: 3, newSteps: 3, escrowed: 3, dryRun: true });
    const mark = (await client.allEvents()).at(-1)!.seq;
    const backfill = await dev.upgradeWorkflow('pipeline', { version: '2.0.0', backfill: true });
    expect(backfill).toMatchObject({ backfilled: 3, newSteps: 3 });
    await dev.waitForJobs(submitted.jobIds, { after: mark, timeoutMs: 60_000 });
    const again = await dev.upgradeWorkflow('pipeline', { version: '2.0.0', backfill: true });
    expect(again).toMatchObject({ backfilled: 0, newSteps: 0 });
    const refreshed = await dev.getJob(submitted.jobIds[0]!);
    expect(refreshed).toMatchObject({ version: '2.0.0', status: 'completed' });
    expect(out(refreshed, 'after').output).toEqual({ n: 4 });
    // Only the new step ran: one task per job, none of the finished steps again.
    const stepTasks = log.of('job.step.ready').filter((e) => submitted.jobIds.includes(e.data.jobId));
    expect(stepTasks.filter((e) => e.data.stepId === 'first')).toHaveLength(3);
    expect(stepTasks.filter((e) => e.data.stepId === 'after')).toHaveLength(3);
    expect(log.of('job.upgraded')).toHaveLength(3);

    // Listing by workflow and status pages by key.
    const page = await dev.listJobs({ workflow: 'pipeline', status: 'completed', limit: 2 });
    expect(page.map((j) => j.id)).toEqual(submitted.jobIds.slice(0, 2));
    const next = await dev.listJobs({ workflow: 'pipeline', status: 'completed', after: page[1]!.id });
    expect(next.map((j) => j.id)).toEqual(submitted.jobIds.slice(2));

    // The CLI: publish a YAML file, submit a JSONL file and watch it, list, show.
    const env = { CORTEN_URL: network.url, CORTEN_API_KEY: account.apiKey };
    const yamlFile = join(dir, 'double.yaml');
    writeFileSync(
      yamlFile,
      'name: twice\nversion: 1.0.0\nsteps:\n  - id: a\n    eu: inc@^1\n    input: { n: /input/n }\n',
    );
    const cliPublished = await runCli(['workflow', 'publish', yamlFile], env);
    expect(cliPublished.code).toBe(0);
    expect(JSON.parse(cliPublished.stdout)).toMatchObject({ name: 'twice', created: true });
    const jsonl = join(dir, 'inputs.jsonl');
    writeFileSync(jsonl, '{"n":1}\n{"n":2}\n');
    const watched = await runCli(['job', 'submit', 'twice', '--file', jsonl, '--watch'], env);
    expect(watched.code).toBe(0);
    expect(watched.stderr).toMatch(/2 completed/);
    const cliJobs = JSON.parse(watched.stdout) as string[];
    const shown = await runCli(['job', 'show', cliJobs[0]!], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'completed', steps: [{ id: 'a', output: { n: 2 } }] });
    const listed = await runCli(['job', 'list', '--workflow', 'twice'], env);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((j) => j.id)).toEqual(cliJobs);

    const verify = await runCli(['ledger', 'verify', '--data', join(dir, 'coordinator')]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  });
});
