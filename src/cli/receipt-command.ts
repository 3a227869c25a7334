/**
 * `corten receipt get TASK` fetches a task's signed receipt;
 * `corten receipt verify FILE` checks one offline, with no coordinator.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { CortenError, verifyReceipt } from '../protocol/index.js';
import { coordinatorUrl } from './options.js';
import { printJson } from './output.js';

export function receiptCommands(program: Command): void {
  const receipt = program.command('receipt').description('verdict receipts: fetch, verify offline');

  receipt
    .command('get <taskId>')
    .description("fetch the signed receipt of a task's verdict")
    .option('--coordinator <url>', 'coordinator base URL')
    .option('--out <file>', 'write it to a file')
    .action(async (taskId: string, opts: { coordinator?: string; out?: string }) => {
      const r = await new CortenClient(coordinatorUrl(opts.coordinator)).getReceipt(taskId);
      if (opts.out) {
        writeFileSync(opts.out, `${JSON.stringify(r, null, 2)}\n`);
        process.stderr.write(`receipt ${r.id} written to ${opts.out}\n`);
      } else printJson(r);
    });

  receipt
    .command('verify <file>')
    .description("check a receipt offline: operators' signatures, quorum, coordinator signature")
    .option(
      '--coordinator-key <hex>',
      'the coordinator public key to trust (otherwise the receipt is only checked to be consistent)',
    )
    .action((file: string, opts: { coordinatorKey?: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (cause) {
        throw new CortenError('RECEIPT_INVALID', `${file} is not a JSON receipt: ${(cause as Error).message}`);
      }
      const check = verifyReceipt(raw, opts.coordinatorKey ? { coordinatorKey: opts.coordinatorKey } : {});
      if (!check.ok)
        throw new CortenError('RECEIPT_INVALID', `receipt ${file} does not verify: ${check.problems.join('; ')}`);
      const r = raw as {
        id: string;
        taskId: string;
        outputHash: string;
        agreeing: unknown[];
        coordinator: { id: string };
      };
      process.stdout.write(
        `receipt ${r.id} ok: task ${r.taskId}, output ${r.outputHash.slice(0, 16)}…, ${r.agreeing.length} operator signatures, signed by ${r.coordinator.id}${opts.coordinatorKey ? ' (pinned key)' : ''}\n`,
      );
    });
}
