/**
 * A follower serves the views only the leader's memory holds (operators and
 * their connections, regions, stats) from what the leader writes to the
 * database: the same operators as the leader, a region the admin marks down
 * on the leader shown down on the follower, and the tasks the leader verified
 * counted in the follower's stats.
 */
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { startCluster } from '../helpers/cluster.js';
import { EventLog } from '../helpers/event-log.js';
import { spread } from '../helpers/network.js';

/** Reads `read` until `done` holds of its answer (the follower catches up on the leader's next write). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`the follower never showed ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('follower reads', () => {
  it("serves the leader's operators, regions and stats", async () => {
    const cluster = await startCluster('reads', 2, spread(['eu-west', 'us-east'], 4, { maxConcurrent: 2, workers: 1 }));
    const [leader, follower] = cluster.members as [(typeof cluster.members)[0], (typeof cluster.members)[0]];
    const token = cluster.network.adminToken;
    const atLeader = new CortenClient(leader.url, { adminToken: token });
    const atFollower = new CortenClient(follower.url, { adminToken: token });
    expect(await atFollower.getLeader()).toMatchObject({ role: 'follower', leader: leader.url });

    const connected = (ops: { connected: boolean }[]) => ops.length === 4 && ops.every((o) => o.connected);
    const leaderOps = await until(() => atLeader.listOperators(), connected, 'four connected operators');
    const followerOps = await until(() => atFollower.listOperators(), connected, 'four connected operators');
    const shape = (ops: typeof leaderOps) =>
      ops.map((o) => ({ id: o.id, region: o.region, status: o.status, maxConcurrent: o.maxConcurrent })).sort();
    expect(shape(followerOps)).toEqual(shape(leaderOps));
    expect(await atFollower.getOperator(leaderOps[0]!.id)).toMatchObject({ id: leaderOps[0]!.id, connected: true });

    await atLeader.setRegion('us-east', true, 'maintenance');
    const regions = await until(
      () => atFollower.listRegions(),
      (rs) => rs.some((r) => r.region === 'us-east' && r.down),
      'us-east down',
    );
    expect(regions).toEqual([
      expect.objectContaining({ region: 'eu-west', down: false, operators: 2, online: 2 }),
      expect.objectContaining({ region: 'us-east', down: true, reason: 'maintenance', operators: 2, online: 2 }),
    ]);
    await atLeader.setRegion('us-east', false, 'back');

    const log = new EventLog(follower.url, token);
    await log.follow();
    await atLeader.publishEu(spinEu({ quorum: 1, iterations: 1000 }));
    const { taskIds } = await atLeader.submitTasks('spin', inputs(20));
    await log.waitForSettled(taskIds);
    const stats = await until(
      () => atFollower.stats(),
      (s) => s.tasks.verified === 20,
      '20 verified tasks',
    );
    expect(stats).toMatchObject({ tasks: { submitted: 20, open: 0, failed: 0 }, operators: { online: 4, total: 4 } });
    log.close();
  });
});
