/**
 * The releaser probe (issue 8, point 3): keys that accept work and give back
 * every lease, declaring a huge maxConcurrent, next to a few honest
 * operators. Releases cost the releasers their standing (slow start keeps
 * each to a few leases, then it is suspended), never the tasks' attempts:
 * every task ends verified.
 */
import { describe, expect, it } from 'vitest';
import type { AssignMessage } from '../src/protocol/index.js';
import { inputs, spinEu } from './fixtures/eus.js';
import { startNetwork } from './helpers/network.js';
import { RawOperator } from './helpers/raw-operator.js';

const TASKS = 50;

/** Connects a key that releases every lease it is given, as soon as it is given. */
async function releaser(url: string): Promise<RawOperator> {
  const op = await RawOperator.connect(url, { region: 'greedy', maxConcurrent: 4096 });
  const loop = async (): Promise<void> => {
    for (;;) {
      const frame = (await op.next((f) => f.t === 'assign')) as unknown as AssignMessage;
      op.send({ t: 'release', assignmentIds: frame.assignments.map((a) => a.assignmentId), reason: 'not today' });
    }
  };
  void loop();
  return op;
}

describe('releasers', () => {
  it.each([12, 2])(
    '%i keys that release every lease burn no task: every task verifies, the releasers are suspended',
    async (keys) => {
      const { network, client, log } = await startNetwork(`releasers-${keys}`, [
        { region: 'r1', maxConcurrent: 2, workers: 1 },
        { region: 'r2', maxConcurrent: 2, workers: 1 },
        { region: 'r3', maxConcurrent: 2, workers: 1 },
      ]);
      const releasers = await Promise.all(Array.from({ length: keys }, () => releaser(network.url)));
      const ids = new Set(releasers.map((r) => r.operatorId));
      await client.publishEu(spinEu({ quorum: 2, maxReplicas: 3, iterations: 20_000 }));

      const { taskIds } = await client.submitTasks('spin', inputs(TASKS));
      await log.waitForSettled(taskIds);
      expect(log.of('task.failed')).toEqual([]);
      expect(log.of('task.verified')).toHaveLength(TASKS);

      // Each releaser was given a few leases (slow start, halved per release), then suspended for it; none was slashed.
      const released = log.of('assignment.released');
      expect(released.length).toBeGreaterThan(0);
      expect(released.every((e) => ids.has(e.operatorId!))).toBe(true);
      for (const id of ids) {
        const given = log.events.filter(
          (e) => (e.type === 'task.assigned' || e.type === 'task.reassigned') && e.operatorId === id,
        );
        expect(given.length).toBeLessThanOrEqual(6);
      }
      const suspended = log.of('operator.suspended');
      for (const e of suspended) expect((e.data as { reason: string }).reason).toMatch(/repeated releases/);
      const views = (await client.listOperators()).filter((o) => ids.has(o.id));
      for (const v of views) {
        const gaveBack = released.filter((e) => e.operatorId === v.id).length;
        // A releaser given enough to show what it is ends suspended; the rest were never given more than slow start
        // allows.
        if (gaveBack >= 5) expect(v).toMatchObject({ status: 'suspended', eligible: false });
        expect(v.slots).toBeLessThanOrEqual(2);
        expect(v.reputation.leaseCompletion).toBeLessThan(1);
      }
      expect(suspended.length).toBeGreaterThan(0);
      expect(log.of('ledger.slashed')).toEqual([]);
      for (const r of releasers) r.close();
    },
  );
});
