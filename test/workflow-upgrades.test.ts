/**
 * A workflow that grows while it runs, on a real network: version 2 adds a
 * step while jobs are in flight; running jobs adopt it and finished ones are
 * backfilled; only the operator serving the new step's EU runs it; an EU
 * upgrade reaches tasks created after it and no others; and the coordinator is
 * killed (-9) mid-run and restarted. Afterwards every step task exists exactly
 * once, no first-step task was cancelled or made twice, every job completed,
 * and the ledger verifies.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { incEu } from './fixtures/workflows.js';
import { runCli } from './helpers/cli.js';
import { startNetwork } from './helpers/network.js';

const JOBS = 60;

const v1 = { name: 'news', version: '1.0.0', steps: [{ id: 'summarize', eu: 'summ@^1', input: { n: '/input/n' } }] };
const v2 = {
  ...v1,
  version: '2.0.0',
  steps: [...v1.steps, { id: 'sentiment', eu: 'senti@^1', input: { n: '/steps/summarize/n' } }],
};

describe('workflow upgrades', () => {
  it('adopts and backfills a new step mid-run, across a kill -9, creating every step task once', async () => {
    const { network, client, log, dir } = await startNetwork('workflow-upgrades', [
      { region: 'r1', maxConcurrent: 2, workers: 1, args: ['--eus', 'summ'] },
      { region: 'r2', maxConcurrent: 2, workers: 1, args: ['--eus', 'summ'] },
      { region: 'r3', maxConcurrent: 2, workers: 1, args: ['--eus', 'senti'] },
    ]);
    const sentimentOperator = network.operators.find((o) => o.spec.args?.includes('senti'))!.operatorId;
    const admin = network.admin();
    const summ1 = await admin.publishEu(incEu({ name: 'summ', price: 1 }));
    await admin.publishEu(incEu({ name: 'senti', price: 1, step: 10 }));
    const account = await admin.createAccount('news');
    await admin.deposit(account.id, 10_000);
    const dev = new CortenClient(network.url, { apiKey: account.apiKey });
    await dev.publishWorkflow(v1);

    const { jobIds } = await dev.submitJobs(
      'news',
      Array.from({ length: JOBS }, (_, n) => ({ n })),
    );
    await log.waitFor((e) => e.type === 'job.completed', 'a first job completed');

    // Version 2 mid-run: publishing alone touches nothing; then running jobs adopt it, finished ones are backfilled.
    const published = log.events.length;
    await dev.publishWorkflow(v2);
    await log.waitFor(
      (e) => e.type === 'workflow.published' && (e.data as { version: string }).version === '2.0.0',
      'v2',
    );
    expect(log.events.slice(published).filter((e) => e.type === 'job.upgraded')).toEqual([]);
    const running = await dev.upgradeWorkflow('news', { version: '2.0.0', running: true });
    const backfilled = await dev.upgradeWorkflow('news', { version: '2.0.0', backfill: true });
    expect(running.adopted + backfilled.backfilled).toBe(JOBS);
    expect(backfilled.backfilled).toBeGreaterThan(0);

    // An EU upgrade: tasks created from now on take 1.1.0; those created before keep 1.0.0.
    const summ11 = await admin.publishEu(incEu({ name: 'summ', version: '1.1.0', price: 1 }));
    const late = await dev.submitJobs('news', [{ n: 1000 }, { n: 1001 }]);

    // Kill the coordinator mid-run and restart it on the same data.
    const sentiment = (e: { type: string; data: unknown }) =>
      e.type === 'job.step.finished' && (e.data as { stepId: string }).stepId === 'sentiment';
    await log.waitForCount(sentiment, 5, 'sentiments');
    await network.coordinator!.kill('SIGKILL');
    await network.startCoordinator();
    await log.follow();
    const restarted = await log.waitFor((e) => e.type === 'coordinator.started' && e.seq > published, 'restart');
    // Mid-job: the restarted coordinator found tasks still open.
    expect((restarted.data as { recoveredTasks: number }).recoveredTasks).toBeGreaterThan(0);

    const all = [...jobIds, ...late.jobIds];
    const done = await dev.waitForJobs(all, { timeoutMs: 120_000 });
    expect([...done.values()].every((s) => s === 'completed')).toBe(true);

    // Every (job, step) made ready once, every step task created once; no first-step task cancelled or remade.
    const events = await client.allEvents();
    const ready = events.filter((e) => e.type === 'job.step.ready');
    const keys = ready.map((e) => `${(e.data as { jobId: string }).jobId}/${(e.data as { stepId: string }).stepId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(all.length * 2);
    const taskIds = ready.flatMap((e) => (e.data as { taskIds: string[] }).taskIds);
    expect(new Set(taskIds).size).toBe(taskIds.length);
    const submitted = events.filter((e) => e.type === 'task.submitted');
    expect(submitted.length).toBe(taskIds.length);
    const cancelled = events.filter((e) => e.type === 'task.failed' || e.type === 'assignment.cancelled');
    expect(cancelled).toEqual([]);

    // Only the operator serving senti ran the new step; the others kept to summarize.
    const stepOf = new Map<string, string>();
    for (const e of ready)
      for (const id of (e.data as { taskIds: string[] }).taskIds) stepOf.set(id, (e.data as { stepId: string }).stepId);
    for (const e of events.filter((x) => x.type === 'task.assigned' || x.type === 'task.reassigned')) {
      const sentiment = stepOf.get(e.taskId!) === 'sentiment';
      expect(e.operatorId === sentimentOperator, `${e.taskId} on ${e.operatorId}`).toBe(sentiment);
    }

    // The EU range resolved at task creation: the late jobs' summaries ran 1.1.0, the first job's 1.0.0.
    const euOf = (jobId: string) =>
      ready.find((e) => (e.data as { jobId: string; stepId: string }).jobId === jobId)!.data as { euId: string };
    expect(euOf(jobIds[0]!).euId).toBe(summ1.id);
    expect(euOf(late.jobIds[0]!).euId).toBe(summ11.id);
    const job = await dev.getJob(jobIds[0]!);
    expect(job).toMatchObject({ version: '2.0.0', status: 'completed' });
    expect(job.steps.map((s) => [s.id, s.output])).toEqual([
      ['summarize', { n: 1 }],
      ['sentiment', { n: 11 }],
    ]);
    // Two credits a job were paid, the rest of the escrow came back.
    expect(await dev.getAccount()).toMatchObject({ balance: 10_000 - 2 * all.length, escrow: 0 });
    const verify = await runCli(['ledger', 'verify', '--data', join(dir, 'coordinator')]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  });
});
