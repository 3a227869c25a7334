/**
 * A follower takes priced submissions too: it keeps them in the inbox with
 * the paying account, and the leader escrows when it takes them in. A batch
 * the account can pay runs and is charged; a batch it can no longer pay by
 * then fails as `insufficient_balance`, every promised id answers, and
 * nothing is charged. A priced submission without an account key is refused
 * at once.
 */
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import type { CortenError } from '../../src/protocol/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { startCluster } from '../helpers/cluster.js';
import { EventLog } from '../helpers/event-log.js';
import { spread } from '../helpers/network.js';

describe('priced submissions at a follower', () => {
  it('are escrowed by the leader when it takes them in, or fail as insufficient_balance, charging nothing', async () => {
    const cluster = await startCluster(
      'priced',
      2,
      spread(['eu-west', 'us-east'], 4, { maxConcurrent: 2, workers: 1 }),
    );
    const [leader, follower] = cluster.members as [(typeof cluster.members)[0], (typeof cluster.members)[0]];
    const token = cluster.network.adminToken;
    const admin = new CortenClient(leader.url, { adminToken: token });
    await admin.publishEu(spinEu({ quorum: 1, iterations: 1000, price: 1 }));
    const account = await admin.createAccount('priced');
    await admin.deposit(account.id, 30);
    // Only this follower's URL: the SDK cannot go on to the leader.
    const dev = new CortenClient(follower.url, { apiKey: account.apiKey });
    expect(await dev.getLeader()).toMatchObject({ role: 'follower', leader: leader.url });
    const log = new EventLog(follower.url, token);
    await log.follow();

    const paid = await dev.submitTasks('spin', inputs(20));
    expect(paid.taskIds).toHaveLength(20);
    expect(paid.escrowed).toBe(0);
    await log.waitForSettled(paid.taskIds);
    for (const id of paid.taskIds) expect((await dev.getTask(id)).status).toBe('verified');
    expect((await admin.getAccount(account.id)).balance).toBe(10);

    const unpaid = await dev.submitTasks('spin', inputs(20, 100));
    await log.waitForSettled(unpaid.taskIds);
    for (const id of unpaid.taskIds) {
      const task = await dev.getTask(id);
      expect(task.status).toBe('failed');
      expect(task.failure?.reason).toBe('insufficient_balance');
    }
    const failed = log.events.filter((e) => e.type === 'task.failed' && unpaid.taskIds.includes(e.taskId!));
    expect(failed.map((e) => (e.data as { reason: string }).reason)).toEqual(Array(20).fill('insufficient_balance'));
    expect((await admin.getAccount(account.id)).balance).toBe(10);

    const anonymous = new CortenClient(follower.url, {});
    const refused = await anonymous.submitTasks('spin', inputs(1)).then(
      () => null,
      (error: CortenError) => error,
    );
    expect(refused?.code).toMatch(/UNAUTHORIZED|ANONYMOUS_DISABLED/);
    log.close();
  });
});
