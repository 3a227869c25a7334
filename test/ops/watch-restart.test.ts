/**
 * `corten watch` across a coordinator restart: a real watch process follows
 * a real network while the coordinator is killed with SIGKILL and restarted
 * on the same data folder and port. It must reconnect, resume from its last
 * event id, and end with every event of the log seen once, in order, and
 * counters that match what happened.
 */
import { describe, expect, it } from 'vitest';
import type { WatchSnapshot } from '../../src/cli/watch-state.js';
import { CortenClient } from '../../src/client/index.js';
import { startCli } from '../helpers/cli.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { spread, startNetwork } from '../helpers/network.js';

const BATCH = 20;

interface Line {
  kind: 'connected' | 'disconnected' | 'event' | 'summary';
  seq?: number;
  position?: number | null;
  reconnect?: boolean;
}

describe('corten watch across a coordinator restart', () => {
  it('resumes with Last-Event-ID and ends with every event seen once and the right counts', async () => {
    const { network, log } = await startNetwork('watch-restart', spread(['eu-west', 'us-east'], 2, { workers: 1 }));
    const { apiKey } = await network.admin().createAccount('watcher');
    const client = new CortenClient(network.url, { apiKey });
    await client.publishEu(spinEu({ quorum: 1, iterations: 200_000 }));

    const watch = startCli(['watch', '--json', '--interval', '100'], {
      CORTEN_URL: network.url,
      CORTEN_API_KEY: apiKey,
    });
    const parsed = () => watch.lines.map((l) => JSON.parse(l) as Line);
    await watch.waitForLines((l) => l.includes('"kind":"connected"'));
    const start = parsed().find((l) => l.kind === 'connected')!.position!;

    const before = await client.submitTasks('spin', inputs(BATCH));
    await log.waitForCount((e) => e.type === 'task.verified', 3, 'verified tasks');
    await watch.waitForLines((l) => l.includes('"type":"task.verified"'));

    await network.coordinator!.kill('SIGKILL');
    await watch.waitForLines((l) => l.includes('"kind":"disconnected"'));
    await network.startCoordinator();
    await log.follow();
    await watch.waitForLines((l) => l.includes('"reconnect":true'));

    const after = await client.submitTasks('spin', inputs(BATCH, 100));
    await log.waitForSettled([...before.taskIds, ...after.taskIds]);
    // Both operators back: the watch must show them online again after the restart marked them offline.
    await log.waitForCount((e) => e.type === 'operator.online', 4, 'operators back online');

    const all = await client.allEvents({ after: start });
    const head = all.at(-1)!.seq;
    await watch.waitForLines((l) => (JSON.parse(l) as Line).seq === head);
    watch.signal('SIGTERM');
    expect(await watch.exited).toBe(0);

    const seen = parsed()
      .filter((l) => l.kind === 'event')
      .map((l) => l.seq);
    expect(seen).toEqual(all.map((e) => e.seq));
    expect(all.some((e) => e.type === 'coordinator.started')).toBe(true);
    expect(watch.stderr()).toContain('reconnecting in');

    const summary = parsed()
      .filter((l) => l.kind === 'summary')
      .at(-1) as unknown as WatchSnapshot;
    expect(summary.position).toBe(head);
    expect(summary.eus['spin@1.0.0']).toEqual({ submitted: 2 * BATCH, verified: 2 * BATCH, failed: 0, escalated: 0 });
    expect(summary.regions).toEqual({
      'eu-west': { online: 1, operators: 1, down: false },
      'us-east': { online: 1, operators: 1, down: false },
    });
  });
});
