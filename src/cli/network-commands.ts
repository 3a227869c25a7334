import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import type { EventType } from '../protocol/index.js';
import { coordinatorUrl, listOption } from './options.js';
import { printJson, printTable, reportDisconnect } from './output.js';

export function networkCommands(program: Command): void {
  const url = (opts: { coordinator?: string }) => coordinatorUrl(opts.coordinator);

  program
    .command('operators')
    .description('list operators with their region, status and load')
    .option('--coordinator <url>', 'coordinator base URL')
    .option('--json', 'print JSON')
    .action(async (opts: { coordinator?: string; json?: boolean }) => {
      const operators = await new CortenClient(url(opts)).listOperators();
      if (opts.json) return printJson(operators);
      printTable(
        ['ID', 'REGION', 'STATUS', 'ACTIVE', 'CPU', 'CAPABILITIES'],
        operators.map((o) => [
          o.id,
          o.region,
          o.status,
          `${o.active}/${o.maxConcurrent}`,
          o.resources.cpu,
          o.resources.capabilities.join(','),
        ]),
      );
    });

  const region = program.command('region').description('regions: list, mark down, mark up');
  region.option('--coordinator <url>', 'coordinator base URL');
  region.command('list').action(async () => {
    const regions = await new CortenClient(url(region.opts())).listRegions();
    printTable(
      ['REGION', 'DOWN', 'ONLINE', 'OPERATORS', 'REASON'],
      regions.map((r) => [r.region, r.down ? 'yes' : 'no', r.online, r.operators, r.reason]),
    );
  });
  region
    .command('down <name>')
    .description('admin ($CORTEN_ADMIN_TOKEN): the scheduler avoids the region')
    .option('--reason <text>', 'why')
    .action(async (name: string, opts: { reason?: string }) => {
      await new CortenClient(url(region.opts())).setRegion(name, true, opts.reason);
      process.stdout.write(`region ${name} marked down\n`);
    });
  region
    .command('up <name>')
    .description('admin ($CORTEN_ADMIN_TOKEN): the region takes work again')
    .option('--reason <text>', 'why')
    .action(async (name: string, opts: { reason?: string }) => {
      await new CortenClient(url(region.opts())).setRegion(name, false, opts.reason);
      process.stdout.write(`region ${name} marked up\n`);
    });

  program
    .command('events')
    .description('print the event log; --follow streams it live')
    .option('--coordinator <url>', 'coordinator base URL')
    .option('--after <seq>', 'start after this position', '0')
    .option('--types <list>', 'only these event types', listOption)
    .option('--task <id>', 'only this task')
    .option('--follow', 'keep streaming new events')
    .action(
      async (opts: { coordinator?: string; after: string; types?: string[]; task?: string; follow?: boolean }) => {
        const client = new CortenClient(url(opts));
        const query = { after: Number(opts.after), types: opts.types as EventType[] | undefined, taskId: opts.task };
        if (!opts.follow) {
          for (const e of await client.allEvents(query)) process.stdout.write(`${JSON.stringify(e)}\n`);
          return;
        }
        const stop = new AbortController();
        process.on('SIGINT', () => stop.abort());
        for await (const e of client.follow(query, { signal: stop.signal, onDisconnect: reportDisconnect })) {
          process.stdout.write(`${JSON.stringify(e)}\n`);
        }
      },
    );
}
