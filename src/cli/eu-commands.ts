import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { loadEuFolder } from '../runtime/index.js';
import { euRunCommand } from './eu-run-command.js';
import { coordinatorUrl } from './options.js';
import { printJson, printTable } from './output.js';

export function euCommands(program: Command): void {
  const eu = program.command('eu').description('publish and inspect Execution Units');
  eu.option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)');
  const client = () => new CortenClient(coordinatorUrl(eu.opts<{ coordinator?: string }>().coordinator));

  eu.command('publish <dir>')
    .description('publish the EU in a folder (eu.json + JS files)')
    .action(async (dir: string) => {
      const pkg = await loadEuFolder(dir);
      const published = await client().publishEu({
        manifest: pkg.manifest as unknown as Record<string, unknown>,
        files: pkg.files,
      });
      process.stdout.write(
        `${published.created ? 'published' : 'already published'} ${published.name}@${published.version} as ${published.id}\n`,
      );
    });

  eu.command('list')
    .description('list published EUs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const eus = await client().listEus();
      if (opts.json) return printJson(eus);
      printTable(
        ['NAME', 'VERSION', 'ID', 'DESCRIPTION'],
        eus.map((e) => [e.name, e.version, `${e.id.slice(0, 19)}…`, e.description.slice(0, 60)]),
      );
    });

  eu.command('show <ref>')
    .description('show one EU: NAME (latest version), NAME@VERSION or its id')
    .option('--files', 'include the source files')
    .action(async (ref: string, opts: { files?: boolean }) => {
      const view = await client().getEu(ref);
      printJson(opts.files ? view : { ...view, files: Object.keys(view.files) });
    });

  euRunCommand(eu);
}
