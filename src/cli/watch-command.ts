/**
 * `corten watch`: the network live in a terminal. It follows the event
 * stream (CortenClient.follow: reconnects with backoff and resumes with
 * Last-Event-ID, so a coordinator restart loses and repeats nothing), folds
 * each event into a WatchState and redraws it a few times a second.
 *
 * `--json` prints machine-readable lines on stdout instead: one per event
 * (`{"kind":"event","seq",…}`), one per (re)connection and disconnection,
 * and a summary (`{"kind":"summary",…}`, the WatchState snapshot) every
 * interval in which something changed, and once more on SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { coerceError, type CortenEvent } from '../protocol/index.js';
import { coordinatorUrl, intOption } from './options.js';
import { reportDisconnect } from './output.js';
import { WatchState } from './watch-state.js';
import { renderWatch } from './watch-view.js';

interface WatchOptions {
  coordinator?: string;
  after?: number;
  json?: boolean;
  interval: number;
}

/** Clears the terminal and moves the cursor home. */
const CLEAR = '\x1b[H\x1b[2J';

export function watchCommand(program: Command): void {
  program
    .command('watch')
    .description(
      'live view of the network: progress per EU and per job, reassignments, escalations, operators online per ' +
        'region; survives coordinator restarts',
    )
    .option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)')
    .option('--after <seq>', 'count from this event on (0: the whole log); default: from now', intOption)
    .option('--json', 'print JSON lines (each event, connections, a summary each interval) instead of drawing')
    .option('--interval <ms>', 'redraw (or summary) interval in ms', intOption, 250)
    .action((opts: WatchOptions) => watch(opts));
}

async function watch(opts: WatchOptions): Promise<void> {
  const url = coordinatorUrl(opts.coordinator);
  const client = new CortenClient(url);
  const names = new Map<string, string>();
  const state = new WatchState((id) => names.get(id) ?? id);
  const tty = !opts.json && process.stdout.isTTY === true;
  const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  let connection = 'connecting';
  let dirty = true;
  let seeded = false;

  const draw = () => {
    if (!dirty) return;
    dirty = false;
    if (opts.json) return print({ kind: 'summary', ...state.snapshot() });
    const lines = renderWatch(state.snapshot(), { url, connection, color: tty });
    process.stdout.write(`${tty ? CLEAR : '\n'}${lines.join('\n')}\n`);
  };

  // What the log cannot replay: names of EUs published before the watch began, and, when it starts from now
  // rather than from the beginning, the operators and regions as they are.
  const learn = async () => {
    for (const eu of await client.listEus()) names.set(eu.id, `${eu.name}@${eu.version}`);
    if (seeded || opts.after === 0) return;
    const [operators, regions] = await Promise.all([client.listOperators(), client.listRegions()]);
    if (seeded) return;
    seeded = true;
    state.seed(operators, regions);
    dirty = true;
  };

  const stop = new AbortController();
  const finish = () => {
    stop.abort();
    dirty = true;
    draw();
    process.exit(0);
  };
  process.on('SIGINT', finish);
  process.on('SIGTERM', finish);
  const timer = setInterval(draw, Math.max(50, opts.interval));

  const onEvent = (event: CortenEvent) => {
    if (event.type === 'eu.published') {
      const data = event.data as { euId: string; name: string; version: string };
      names.set(data.euId, `${data.name}@${data.version}`);
    }
    state.apply(event);
    dirty = true;
    if (opts.json) print({ kind: 'event', seq: event.seq, type: event.type, taskId: event.taskId });
  };

  try {
    const events = client.follow(opts.after === undefined ? {} : { after: opts.after }, {
      signal: stop.signal,
      onConnect: ({ position, reconnect }) => {
        connection = 'live';
        dirty = true;
        if (opts.json) print({ kind: 'connected', position: position ?? null, reconnect });
        learn().catch((thrown: unknown) => {
          process.stderr.write(`corten: could not read the network: ${coerceError(thrown).message}\n`);
        });
      },
      onDisconnect: (info) => {
        connection = `reconnecting in ${info.delayMs} ms`;
        dirty = true;
        if (opts.json) print({ kind: 'disconnected', position: info.position ?? null, reason: info.error.message });
        reportDisconnect(info);
      },
    });
    // EU names come first: a submission counts under its EU's name, so know the names before folding events.
    await learn().catch(() => undefined);
    for await (const event of events) onEvent(event);
  } finally {
    clearInterval(timer);
  }
}
