/**
 * What a task costs the store: a task placed in the turn that created it is written once, as it
 * stands at the end of that turn; one placed later is updated then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Change } from '../../src/store/index.js';
import { inputs, spinEu } from '../fixtures/eus.js';
import { EngineHarness } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

/** Every change the store is asked to commit from now on. */
function recordChanges(harness: EngineHarness): Change[] {
  const seen: Change[] = [];
  const commit = harness.store.commit.bind(harness.store);
  harness.store.commit = (changes) => {
    seen.push(...changes.changes);
    return commit(changes);
  };
  return seen;
}

describe('task rows', () => {
  it('inserts a task placed in its own turn already running, with no update after', async () => {
    h = await EngineHarness.start('task-writes-placed');
    const op = await h.connect();
    const eu = await h.publish(spinEu());
    const changes = recordChanges(h);
    const [id] = await h.submit(eu, inputs(1));
    expect(op.take()).toHaveLength(1);
    const writes = changes.filter((c) => (c.op === 'task.insert' ? c.row.id : c.op === 'task.update' && c.id) === id);
    expect(writes.map((c) => c.op)).toEqual(['task.insert']);
    expect(await h.taskRow(id!)).toMatchObject({ status: 'running', attempts: 1 });
  });

  it('updates a task placed after the turn that created it', async () => {
    h = await EngineHarness.start('task-writes-later');
    const eu = await h.publish(spinEu());
    const changes = recordChanges(h);
    const [id] = await h.submit(eu, inputs(1));
    expect(await h.taskRow(id!)).toMatchObject({ status: 'pending', attempts: 0 });
    const op = await h.connect();
    expect(op.take()).toHaveLength(1);
    const writes = changes.filter((c) => (c.op === 'task.insert' ? c.row.id : c.op === 'task.update' && c.id) === id);
    expect(writes.map((c) => c.op)).toEqual(['task.insert', 'task.update']);
    expect(await h.taskRow(id!)).toMatchObject({ status: 'running', attempts: 1 });
  });
});
