/**
 * The database goes away mid-run (every connection between the coordinator
 * and PostgreSQL cut by a proxy, new ones refused): the leader stops writing
 * within its lease and steps down; when the database is back it takes the
 * lease again at the next epoch, rebuilds memory, and work resumes. Nothing
 * acknowledged is lost: every task submitted before the cut is verified, once.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inputs, spinEu } from '../fixtures/eus.js';
import { spread, startNetwork } from '../helpers/network.js';
import { dropSchemas, freshSchema, PG_URL } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const schema = freshSchema('outage');
const target = new URL(PG_URL);
const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
afterEach(() => proxy.stop());
afterAll(() => dropSchemas([schema]));

describe('a database outage', () => {
  it('makes the leader stop writing and step down; when the database is back work resumes and nothing is lost', async () => {
    const port = await proxy.start();
    const through = new URL(PG_URL);
    through.port = String(port);
    through.searchParams.set('schema', schema);
    const { network, client, log } = await startNetwork(
      'pg-outage',
      spread(['eu-west', 'us-east'], 4, { maxConcurrent: 2, workers: 1 }),
      { coordinatorArgs: ['--store', through.toString()] },
    );
    const roles: string[] = [];
    const waiting: { pattern: RegExp; resolve: () => void }[] = [];
    network.coordinator!.onLine((line) => {
      roles.push(line);
      for (const w of waiting.splice(0)) (w.pattern.test(line) ? w.resolve : () => waiting.push(w))();
    });
    const roleLine = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        waiting.push({ pattern, resolve });
      });

    await client.publishEu(spinEu({ quorum: 2, iterations: 100_000 }));
    const { taskIds } = await client.submitTasks('spin', inputs(60));
    await log.waitForCount((e) => e.type === 'task.verified', 10, 'verified tasks');

    const steppedDown = roleLine(/corten coordinator follower: /);
    proxy.cut();
    await steppedDown;
    // Without its database the coordinator takes nothing it could lose.
    await expect(client.submitTasks('spin', inputs(1, 500))).rejects.toMatchObject({ httpStatus: 503 });

    const back = roleLine(/corten coordinator leader epoch [2-9]/);
    proxy.restore();
    await back;
    await log.follow();
    await log.waitForSettled(taskIds);
    const verified = await client.allEvents({ types: ['task.verified'] });
    const perTask = new Map<string, number>();
    for (const e of verified) perTask.set(e.taskId!, (perTask.get(e.taskId!) ?? 0) + 1);
    expect(new Set(perTask.keys())).toEqual(new Set(taskIds));
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
    const all = await client.allEvents();
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(
      roles.some((l) => /follower: the lease could not be renewed in time|follower: a commit failed/.test(l)),
    ).toBe(true);
  });
});
