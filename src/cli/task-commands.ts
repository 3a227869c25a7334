import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { CortenError } from '../protocol/index.js';
import { coordinatorUrl } from './options.js';
import { printJson, reportDisconnect } from './output.js';
import { progressBar } from './progress.js';

export function readInputs(opts: { input?: string; file?: string }): unknown[] {
  if (opts.input !== undefined) {
    try {
      return [JSON.parse(opts.input)];
    } catch {
      throw new CortenError('MALFORMED_JSON', '--input is not valid JSON');
    }
  }
  if (opts.file !== undefined) {
    return readFileSync(opts.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line, i) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new CortenError('MALFORMED_JSON', `${opts.file} line ${i + 1} is not valid JSON`);
        }
      });
  }
  throw new CortenError('VALIDATION_FAILED', 'give --input JSON or --file FILE.jsonl');
}

/** Waits for the tasks with a progress bar, reconnecting across restarts; reports the tally on stderr. */
async function waitAndReport(corten: CortenClient, taskIds: readonly string[], after: number | undefined) {
  const bar = progressBar('settled', taskIds.length);
  let settled: Map<string, 'verified' | 'failed'>;
  try {
    const onProgress = (n: number) => bar.update(n);
    // Said once the stream is open, so a script (or a test) knows the wait is live.
    const onConnect = ({ reconnect }: { reconnect: boolean }) => {
      if (!reconnect) process.stderr.write(`waiting for ${taskIds.length} tasks on the event stream\n`);
    };
    settled = await corten.waitForTasks(taskIds, { after, onProgress, onConnect, onDisconnect: reportDisconnect });
  } finally {
    bar.stop();
  }
  const verified = [...settled.values()].filter((s) => s === 'verified').length;
  process.stderr.write(`${verified} verified, ${settled.size - verified} failed\n`);
  return settled;
}

export function taskCommands(program: Command): void {
  const task = program.command('task').description('submit and inspect tasks');
  task.option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)');
  const client = () => new CortenClient(coordinatorUrl(task.opts<{ coordinator?: string }>().coordinator));

  task
    .command('submit <eu>')
    .description('submit one task per input to an EU (NAME, NAME@VERSION or id)')
    .option('--input <json>', 'one input, as JSON')
    .option('--file <jsonl>', 'a file of inputs, one JSON value a line')
    .option('--wait', 'wait until every task is verified or failed, with a progress bar')
    .action(async (eu: string, opts: { input?: string; file?: string; wait?: boolean }) => {
      const inputs = readInputs(opts);
      const corten = client();
      const { euId, taskIds, after } = await corten.submitTasks(eu, inputs);
      process.stderr.write(`submitted ${taskIds.length} tasks to ${euId}\n`);
      if (!opts.wait) return printJson(taskIds);
      await waitAndReport(corten, taskIds, after);
      printJson(taskIds);
    });

  task
    .command('wait <ids...>')
    .description('wait until every given task is verified or failed (across coordinator restarts); print each status')
    .action(async (ids: string[]) => {
      const settled = await waitAndReport(client(), ids, undefined);
      printJson(Object.fromEntries(ids.map((id) => [id, settled.get(id)])));
    });

  task
    .command('get <id>')
    .description('show a task with its assignments and verdict')
    .action(async (id: string) => printJson(await client().getTask(id)));
}
