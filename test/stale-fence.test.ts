/**
 * The store's lease fence, end to end: when an assignment in the store is no
 * longer what the coordinator's memory holds (here another writer ended the
 * lease behind its back), the coordinator's next write of it is refused with
 * STALE_FENCE. The turn changes nothing and sends nothing, the coordinator
 * says why in its log and exits non-zero, and a restart recovers from the store.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeSet, SqliteStore } from '../src/store/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { startNetwork } from './helpers/network.js';
import { RawOperator } from './helpers/raw-operator.js';

describe('the lease fence in the store', () => {
  it('a result for a lease another writer ended stops the coordinator, writes nothing; restart recovers', async () => {
    const { network, client, dir } = await startNetwork('stale-fence', []);
    await client.publishEu(spinEu({ quorum: 2, maxReplicas: 3 }));
    const op = await RawOperator.connect(network.url, { region: 'r1' });
    const { taskIds } = await client.submitTasks('spin', inputs(1));
    const a = await op.nextAssignment();
    expect(a.taskId).toBe(taskIds[0]);

    // Another writer of the same data ends the lease (as a second leader might, later with PostgreSQL).
    const other = new SqliteStore({ dir: join(dir, 'coordinator') });
    await other.migrate();
    const tamper = new ChangeSet();
    tamper.push({
      op: 'assignment.update',
      id: a.assignmentId,
      fence: { attempt: a.attempt, status: 'leased' },
      set: { status: 'expired', endReason: 'another_writer' },
    });
    await other.commit(tamper);
    const eventsBefore = await other.lastEventSeq();

    // The coordinator still holds the lease in memory: it takes the result, and its commit is refused.
    op.send({ t: 'results', results: [op.result(a, { n: 0, h: 1 })] });
    // Whichever comes first: an exit (the fence held) or an ack (the result landed over the other writer's end).
    const outcome = await Promise.race([network.coordinator!.exited, op.next((f) => f.t === 'ack')]);
    expect(outcome).toEqual({ code: 1, signal: null });
    const log = readFileSync(network.logPath, 'utf8');
    expect(log).toMatch(/stale lease fence/);
    expect(log).toMatch(/STALE_FENCE/);
    expect(log).toContain(a.assignmentId);
    // Nothing of the refused turn was written, and nothing was sent: no ack for the result.
    expect(await other.getAssignment(a.assignmentId)).toMatchObject({
      status: 'expired',
      endReason: 'another_writer',
      outputHash: null,
    });
    expect(await other.lastEventSeq()).toBe(eventsBefore);
    expect(op.frames.some((f) => f.t === 'ack')).toBe(false);
    await other.close();

    // The restarted coordinator rebuilds memory from the store: the lease is over, the task waits for another.
    await network.startCoordinator();
    const task = await network.admin().getTask(a.taskId);
    expect(task.assignments.find((x) => x.id === a.assignmentId)?.status).toBe('expired');
    expect(task.status).not.toBe('verified');
  });
});
