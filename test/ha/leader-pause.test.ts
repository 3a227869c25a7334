/**
 * The leader paused (SIGSTOP) past its lease: a follower takes over with the
 * next epoch and work goes on; resumed, the old leader finds its lease gone,
 * steps down to follower, and refuses writes, naming the new leader. A
 * follower takes submissions durably (its inbox) while a leader is up and
 * while none is; the leader takes them in with the ids promised. An SSE
 * client on the follower saw every event once, in order.
 */
import { describe, expect, it } from 'vitest';
import { CortenClient } from '../../src/client/index.js';
import type { CortenError } from '../../src/protocol/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { startCluster } from '../helpers/cluster.js';
import { EventLog } from '../helpers/event-log.js';
import { spread } from '../helpers/network.js';

describe('leader paused', () => {
  it('is replaced by a follower within its lease, and steps down when it resumes; nothing is lost or repeated', async () => {
    const cluster = await startCluster('pause', 2, spread(['eu-west', 'us-east'], 4, { maxConcurrent: 2, workers: 1 }));
    const [first, second] = cluster.members as [(typeof cluster.members)[0], (typeof cluster.members)[0]];
    const token = cluster.network.adminToken;
    const log = new EventLog(second.url, token);
    await log.follow();
    const client = cluster.network.admin();
    await client.publishEu(spinEu({ quorum: 2, iterations: 100_000 }));
    const { taskIds } = await client.submitTasks('spin', inputs(80));
    // The follower keeps these for the leader: same answer, ids the leader then uses.
    const atFollower = new CortenClient(second.url, { adminToken: token });
    expect(await atFollower.getLeader()).toMatchObject({ role: 'follower', leader: first.url });
    const viaInbox = await atFollower.submitTasks('spin', inputs(10, 1000));
    expect(viaInbox.taskIds).toHaveLength(10);
    await log.waitForCount((e) => e.type === 'task.verified', 10, 'verified tasks');

    const paused = log.events[log.events.length - 1]!.seq;
    first.proc.signal('SIGSTOP');
    // Most likely before anyone took over: taken durably all the same.
    const whilePaused = await atFollower.submitTasks('spin', inputs(10, 2000));
    const elected = await cluster.waitForRole(1, (r) => r.role === 'leader');
    expect(elected).toMatchObject({ epoch: 2 });
    const takeover = await log.waitFor((e) => e.type === 'coordinator.started' && e.seq > paused, 'takeover');
    expect((takeover.data as { recoveredTasks: number }).recoveredTasks).toBeGreaterThan(0);

    first.proc.signal('SIGCONT');
    const stepped = await cluster.waitForRole(0, (r) => r.role === 'follower' && r.reason !== 'starting');
    expect(stepped.role).toBe('follower');
    // The old leader writes nothing itself and sends writers to the new one; submissions it keeps for the leader.
    const direct = new CortenClient(first.url, { adminToken: token });
    const refused = await direct.publishEu(spinEu({ name: 'other' })).catch((e: CortenError) => e);
    expect(refused).toMatchObject({ code: 'NOT_LEADER', details: { leader: second.url } });
    expect(await direct.getLeader()).toMatchObject({ role: 'follower', leader: second.url });
    const atOldLeader = await direct.submitTasks('spin', inputs(1, 3000));

    const all = [...taskIds, ...viaInbox.taskIds, ...whilePaused.taskIds, ...atOldLeader.taskIds];
    await log.waitForSettled(all);
    const verified = log.of('task.verified');
    expect(new Set(verified.map((e) => e.taskId))).toEqual(new Set(all));
    expect(verified).toHaveLength(101);
    expect(log.of('task.failed')).toHaveLength(0);
    // The follower's stream: every seq once, in order, and the same log the store holds.
    expect(log.events.map((e) => e.seq)).toEqual(log.events.map((_, i) => i + 1));
    const stored = await client.allEvents();
    expect(stored.slice(0, log.events.length)).toEqual(log.events);
    // Reads are served by the old leader, now a follower, from the database.
    expect((await direct.getTask(taskIds[0]!)).status).toBe('verified');
    log.close();
  });
});
