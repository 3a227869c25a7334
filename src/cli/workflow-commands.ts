/**
 * `corten workflow publish|list|show|upgrade` and `corten job submit|show|list|cancel`.
 * `job submit --watch` follows the event stream with one progress bar per step
 * (jobs whose step has finished), across coordinator restarts.
 */
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import type { CortenEvent } from '../protocol/index.js';
import { coordinatorUrl } from './options.js';
import { printJson } from './output.js';
import { readInputs } from './task-commands.js';

/** One bar per step, on stderr; a bar counts the jobs whose step has finished. */
function stepBars(steps: string[], jobs: number) {
  const multi = new cliProgress.MultiBar(
    {
      format: '{step} [{bar}] {value}/{total} {percentage}%',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const width = Math.max(...steps.map((s) => s.length));
  const bars = new Map(steps.map((s) => [s, multi.create(jobs, 0, { step: s.padEnd(width) })]));
  return {
    add(step: string, total: number) {
      if (!bars.has(step)) bars.set(step, multi.create(total, 0, { step: step.padEnd(width) }));
    },
    tick(step: string) {
      bars.get(step)?.increment();
    },
    stop: () => multi.stop(),
  };
}

export function workflowCommands(program: Command): void {
  const workflow = program.command('workflow').description('publish workflows and move jobs between their versions');
  workflow.option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)');
  const wfClient = () => new CortenClient(coordinatorUrl(workflow.opts<{ coordinator?: string }>().coordinator));

  workflow
    .command('publish <file>')
    .description('publish a workflow version from a YAML or JSON document')
    .action(async (file: string) => printJson(await wfClient().publishWorkflow(readFileSync(file, 'utf8'))));

  workflow
    .command('list')
    .description('the workflow versions this key may see')
    .action(async () => printJson(await wfClient().listWorkflows()));

  workflow
    .command('show <ref>')
    .description('one version (NAME, NAME@VERSION or wf_…) with its document')
    .action(async (ref: string) => printJson(await wfClient().getWorkflow(ref)));

  workflow
    .command('upgrade <name>')
    .description(
      'move jobs of NAME to a version: running ones (--running), finished ones for the new steps (--backfill)',
    )
    .requiredOption('--version <version>', 'the version to move to')
    .option('--running', 'running jobs adopt it (steps matched by id; finished steps never re-run)')
    .option('--backfill', 'completed jobs run only its new steps, from their stored outputs')
    .option('--dry-run', 'count what would change; change nothing')
    .action(async (name: string, opts: { version: string; running?: boolean; backfill?: boolean; dryRun?: boolean }) =>
      printJson(
        await wfClient().upgradeWorkflow(name, {
          version: opts.version,
          running: opts.running === true,
          backfill: opts.backfill === true,
          dryRun: opts.dryRun === true,
        }),
      ),
    );

  const job = program.command('job').description('submit and inspect jobs (runs of a workflow)');
  job.option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)');
  const client = () => new CortenClient(coordinatorUrl(job.opts<{ coordinator?: string }>().coordinator));

  job
    .command('submit <workflow>')
    .description('submit one job per input (all or none) to a workflow (NAME, NAME@VERSION or wf_…)')
    .option('--input <json>', 'one input, as JSON')
    .option('--file <jsonl>', 'a file of inputs, one JSON value a line')
    .option('--watch', 'follow the jobs with a progress bar per step until each completes, fails or is cancelled')
    .action(async (ref: string, opts: { input?: string; file?: string; watch?: boolean }) => {
      const corten = client();
      const { workflowId, jobIds, after, escrowed } = await corten.submitJobs(ref, readInputs(opts));
      process.stderr.write(`submitted ${jobIds.length} jobs of ${workflowId} (${escrowed} credits in escrow)\n`);
      if (!opts.watch) return printJson(jobIds);
      const wf = await corten.getWorkflow(workflowId);
      const bars = stepBars(wf.steps, jobIds.length);
      let statuses;
      try {
        statuses = await corten.waitForJobs(jobIds, {
          after,
          onEvent: (e: CortenEvent) => {
            if (e.type === 'job.step.finished') bars.tick((e.data as { stepId: string }).stepId);
            if (e.type === 'job.upgraded')
              for (const s of (e.data as { newSteps: string[] }).newSteps) bars.add(s, jobIds.length);
          },
        });
      } finally {
        bars.stop();
      }
      const tally: Record<string, number> = {};
      for (const s of statuses.values()) tally[s] = (tally[s] ?? 0) + 1;
      process.stderr.write(
        `${Object.entries(tally)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ')}\n`,
      );
      printJson(jobIds);
    });

  job
    .command('show <id>')
    .description('one job with its steps: status, tasks, outputs')
    .action(async (id: string) => printJson(await client().getJob(id)));

  job
    .command('list')
    .description('jobs, oldest first, a page at a time')
    .option('--workflow <name>', 'jobs of this workflow (every version)')
    .option('--status <status>', 'running, completed, failed or cancelled')
    .option('--after <id>', 'the page after this job id')
    .option('--limit <n>', 'jobs a page', '100')
    .action(async (opts: { workflow?: string; status?: string; after?: string; limit: string }) =>
      printJson(await client().listJobs({ ...opts, limit: Number(opts.limit) })),
    );

  job
    .command('cancel <id>')
    .description('cancel a running job: its tasks are cancelled and unused escrow refunded')
    .action(async (id: string) => printJson(await client().cancelJob(id)));
}
