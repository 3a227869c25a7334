/**
 * Task search and retry over the API, on a real network: filters and keyset paging as a
 * client sees them, counts in the caller's scope, and retry only where the caller may act.
 */
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../src/client/index.js';
import { type CortenError } from '../src/protocol/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { startNetwork } from './helpers/network.js';

/** spin, failing (eu_error) on a negative n. */
function failingSpin() {
  const eu = spinEu({ name: 'spin-or-fail', quorum: 1, iterations: 1000 });
  eu.files['main.js'] = `export function run(input) {
  if (input.n < 0) throw new Error('negative n');
  return { n: input.n, h: input.n * 2 };
}
`;
  return eu;
}

async function refusal(promise: Promise<unknown>): Promise<CortenError> {
  try {
    await promise;
  } catch (error) {
    return error as CortenError;
  }
  throw new Error('expected the request to fail');
}

describe('task search and retry', () => {
  it('finds tasks by each filter, pages newest first by key, counts and retries in the caller’s scope', async () => {
    const { network, client, log } = await startNetwork('task-search', [{ region: 'eu-west' }, { region: 'us-east' }]);
    await client.publishEu(failingSpin());
    const alice = await client.createAccount('alice');
    const bob = await client.createAccount('bob');
    const asAlice = new CortenClient(network.url, { apiKey: alice.apiKey });
    const asBob = new CortenClient(network.url, { apiKey: bob.apiKey });
    const anonymous = new CortenClient(network.url, {});

    const started = Date.now();
    const { taskIds: good } = await asAlice.submitTasks('spin-or-fail', inputs(5));
    const {
      taskIds: [bad],
    } = await asAlice.submitTasks('spin-or-fail', [{ n: -1 }]);
    const { taskIds: admins } = await client.submitTasks('spin-or-fail', inputs(2, 10));
    await log.waitForSettled([...good, bad!, ...admins]);

    // Keyset paging, newest first: two pages of three cover Alice's six tasks once each.
    const first = await asAlice.searchTasks({ order: 'desc', limit: 3 });
    expect(first.tasks.map((t) => t.id)).toEqual([bad!, ...good.slice(3).reverse()]);
    expect(first.next).toBe(first.tasks[2]!.id);
    const second = await asAlice.searchTasks({ order: 'desc', limit: 3, after: first.next! });
    expect(second.tasks.map((t) => t.id)).toEqual(good.slice(0, 3).reverse());
    const third = await asAlice.searchTasks({ order: 'desc', limit: 3, after: second.next! });
    expect(third).toEqual({ tasks: [], next: null });

    expect((await asAlice.searchTasks({ status: 'failed' })).tasks.map((t) => t.id)).toEqual([bad]);
    expect((await asAlice.searchTasks({ failure: 'eu_error' })).tasks.map((t) => t.id)).toEqual([bad]);
    expect((await asAlice.searchTasks({ id: bad!.slice(0, -2) })).tasks.map((t) => t.id)).toContain(bad);
    expect((await asAlice.searchTasks({ since: started, until: Date.now() + 1 })).tasks).toHaveLength(6);
    expect((await asAlice.searchTasks({ until: started - 1 })).tasks).toHaveLength(0);
    // Operator and region: every task of Alice ran on one of the two, and each is found under its own.
    const byOperator = new Map<string, string[]>();
    const byRegion = new Map<string, string[]>();
    for (const op of network.operators) {
      byOperator.set(
        op.operatorId,
        (await asAlice.searchTasks({ operator: op.operatorId })).tasks.map((t) => t.id),
      );
      byRegion.set(
        op.region,
        (await asAlice.searchTasks({ region: op.region })).tasks.map((t) => t.id),
      );
    }
    expect(new Set([...byOperator.values()].flat())).toEqual(new Set([...good, bad]));
    for (const id of [...good, bad!]) {
      const task = await asAlice.getTask(id);
      const ran = task.assignments[0]!.operatorId;
      expect(byOperator.get(ran)).toContain(id);
      expect(byRegion.get(network.operators.find((o) => o.operatorId === ran)!.region)).toContain(id);
    }
    expect((await asAlice.searchTasks({ region: 'mars' })).tasks).toHaveLength(0);

    // Scopes: Bob finds none of it; the admin finds all of it.
    expect((await asBob.searchTasks({})).tasks).toHaveLength(0);
    expect((await asBob.searchTasks({ id: bad! })).tasks).toHaveLength(0);
    expect((await client.searchTasks({})).tasks).toHaveLength(8);
    expect((await asAlice.countTasks()).byStatus).toMatchObject({ verified: 5, failed: 1 });
    expect((await asAlice.countTasks()).failures).toEqual({ eu_error: 1 });
    expect((await asBob.countTasks()).byStatus.verified).toBe(0);
    expect((await client.countTasks()).byStatus.verified).toBe(7);

    // Retry: only the failed task, only by its owner or the admin; Bob's attempt looks like a missing task.
    const byBob = await asBob.retryTasks([bad!]);
    expect(byBob).toEqual({ done: [], refused: [{ id: bad, code: 'TASK_NOT_FOUND', message: `no task ${bad}` }] });
    expect((await refusal(anonymous.retryTasks([bad!]))).code).toBe('UNAUTHORIZED');
    const mixed = await asAlice.retryTasks([bad!, good[0]!, 't_nope', bad!]);
    expect(mixed.done).toHaveLength(1);
    expect(mixed.done[0]!.id).toBe(bad);
    expect(new Map(mixed.refused.map((r) => [r.id, r.code]))).toEqual(
      new Map([
        [good[0], 'TASK_NOT_FAILED'],
        ['t_nope', 'TASK_NOT_FOUND'],
      ]),
    );
    const retried = mixed.done[0]!.newTaskId!;
    await log.waitForSettled([retried]);
    const again = await asAlice.getTask(retried);
    expect(again.inputHash).toBe((await asAlice.getTask(bad!)).inputHash);
    expect(again.failure?.reason).toBe('eu_error');
    // The original stays failed once; the retry is Alice's own new task.
    expect((await asAlice.getTask(bad!)).status).toBe('failed');
    expect((await asAlice.searchTasks({ failure: 'eu_error' })).tasks.map((t) => t.id)).toEqual([bad, retried]);
    const byAdmin = await client.retryTasks([retried]);
    expect(byAdmin.done).toHaveLength(1);
    await log.waitForSettled([byAdmin.done[0]!.newTaskId!]);
    expect((await asAlice.getTask(byAdmin.done[0]!.newTaskId!)).failure?.reason).toBe('eu_error');

    // Hostile queries get the envelope and change nothing.
    for (const query of ['since=abc', 'order=sideways', 'failure=DROP%20TABLE', 'limit=0', 'id=']) {
      const response = await fetch(`${network.url}/v1/tasks?${query}`, {
        headers: { authorization: `Bearer ${alice.apiKey}` },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    }
    expect((await client.countTasks()).byStatus.failed).toBe(3);
  });

  it('cancels open tasks where the caller may act: leases cancelled, escrow refunded, finished tasks refused', async () => {
    const { client, log, network } = await startNetwork('task-cancel', [{ region: 'eu-west' }]);
    await client.publishEu(spinEu({ name: 'slow', quorum: 1, price: 5, iterations: 30_000_000, timeoutMs: 120_000 }));
    await client.publishEu(spinEu({ name: 'quick', quorum: 1, iterations: 1000 }));
    const alice = await client.createAccount('alice');
    const bob = await client.createAccount('bob');
    await client.deposit(alice.id, 100);
    const asAlice = new CortenClient(network.url, { apiKey: alice.apiKey });
    const asBob = new CortenClient(network.url, { apiKey: bob.apiKey });

    const {
      taskIds: [slow],
    } = await asAlice.submitTasks('slow', inputs(1));
    await log.waitFor((e) => e.type === 'task.assigned' && e.taskId === slow, 'the slow task leased');
    expect((await asAlice.getAccount()).balance).toBe(95);

    expect((await asBob.cancelTasks([slow!])).refused.map((r) => r.code)).toEqual(['TASK_NOT_FOUND']);
    expect((await refusal(new CortenClient(network.url, {}).cancelTasks([slow!]))).code).toBe('UNAUTHORIZED');
    expect(await asAlice.cancelTasks([slow!, slow!])).toEqual({ done: [{ id: slow }], refused: [] });

    const failed = await log.waitFor((e) => e.type === 'task.failed' && e.taskId === slow, 'cancelled');
    expect(failed.data).toMatchObject({ reason: 'cancelled' });
    expect(log.of('assignment.cancelled').filter((e) => e.taskId === slow)).toHaveLength(1);
    const task = await asAlice.getTask(slow!);
    expect(task.status).toBe('failed');
    expect(task.failure?.reason).toBe('cancelled');
    expect(task.assignments.map((a) => a.status)).toEqual(['cancelled']);
    expect((await asAlice.getAccount()).balance).toBe(100);
    expect(log.of('ledger.slashed')).toHaveLength(0);

    // Finished tasks are refused; the operator's slot is free again, so new work runs.
    expect((await asAlice.cancelTasks([slow!])).refused.map((r) => r.code)).toEqual(['TASK_FINISHED']);
    const { taskIds: quick } = await asAlice.submitTasks('quick', inputs(2));
    await log.waitForSettled(quick);
    expect(log.of('task.verified').filter((e) => quick.includes(e.taskId!))).toHaveLength(2);
    expect((await asAlice.cancelTasks(quick)).refused.map((r) => r.code)).toEqual(['TASK_FINISHED', 'TASK_FINISHED']);
  });
});
