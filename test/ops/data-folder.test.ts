/**
 * The data folder as a boundary: inspecting one never creates or migrates
 * anything, and only one coordinator at a time may run on it.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import { LocalNetwork } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { EventLog } from '../helpers/event-log.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function folder(label: string): string {
  const dir = tempDir(label);
  cleanups.push(async () => dir.cleanup(false));
  return dir.path;
}

describe('ledger verify --data', () => {
  it('refuses a folder with no database with NO_DATA, exits non-zero and creates nothing', async () => {
    const empty = join(folder('ledger-empty'), 'data');
    mkdirSync(empty);
    const result = await runCli(['ledger', 'verify', '--data', empty]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`NO_DATA: ${empty} holds no coordinator data`);
    expect(result.stderr).not.toContain('INTERNAL');
    expect(readdirSync(empty)).toEqual([]);
  });

  it('does not create a folder that does not exist', async () => {
    const missing = join(folder('ledger-missing'), 'nothing-here');
    const result = await runCli(['ledger', 'verify', '--data', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NO_DATA');
    expect(existsSync(missing)).toBe(false);
  });
});

describe('the data folder lock', () => {
  it('refuses a second coordinator naming the first, leaves the first running, and lets a new one start after kill -9', async () => {
    const dir = folder('lock');
    const network = new LocalNetwork({ dir, coordinatorArgs: ['--no-builtin-eus'] });
    cleanups.push(() => network.stop());
    const url = await network.startCoordinator();
    const log = new EventLog(url);
    cleanups.push(async () => log.close());
    await log.follow();
    const started = await log.waitFor((e) => e.type === 'coordinator.started', 'first start');
    const firstId = (started.data as { coordinatorId: string }).coordinatorId;

    const args = [
      'coordinator',
      '--port',
      '0',
      '--data',
      join(dir, 'coordinator'),
      '--no-builtin-eus',
      '--log-level',
      'warn',
    ];
    const second = await runCli(args);
    expect(second.code).toBe(1);
    expect(second.stdout).not.toContain('listening');
    expect(second.stderr).toContain('DATA_DIR_LOCKED');
    expect(second.stderr).toContain(firstId);
    expect(second.stderr).toContain(`pid ${network.coordinator!.pid}`);
    expect(second.stderr).toContain(url);

    // The first is unaffected: it answers, and the refused one wrote nothing into its log.
    const client = new CortenClient(url);
    expect((await client.stats()).tasks.open).toBe(0);
    expect((await client.allEvents({ types: ['coordinator.started'] })).map((e) => e.seq)).toEqual([started.seq]);
    expect(network.coordinator!.running).toBe(true);

    // A lock that died with its process stops no one.
    await network.coordinator!.kill('SIGKILL');
    await network.startCoordinator();
    await log.follow();
    const restarted = await log.waitFor((e) => e.type === 'coordinator.started' && e.seq > started.seq, 'restart');
    expect((restarted.data as { coordinatorId: string }).coordinatorId).toBe(firstId);
  });
});
