/**
 * What `corten watch` folds from the event log: per-EU and per-job tallies,
 * reassignments and escalations, operators online per region (across a
 * coordinator restart), and the bars it draws.
 */
import { describe, expect, it } from 'vitest';
import { WatchState } from '../../src/cli/watch-state.js';
import { bar, renderWatch } from '../../src/cli/watch-view.js';
import type { CortenEvent, EventType, OperatorView, RegionView } from '../../src/protocol/index.js';

let seq = 0;
function event(type: EventType, data: object, ids: { taskId?: string; operatorId?: string; jobId?: string } = {}) {
  seq += 1;
  return {
    seq,
    type,
    ts: seq,
    taskId: ids.taskId ?? null,
    operatorId: ids.operatorId ?? null,
    owner: null,
    data,
    ...(ids.jobId ? { jobId: ids.jobId } : {}),
  } as unknown as CortenEvent;
}

const operator = (id: string, region: string, status: OperatorView['status']) =>
  ({ id, region, status }) as OperatorView;
const region = (name: string, down: boolean) => ({ region: name, down }) as RegionView;

describe('the watch state', () => {
  it('tallies tasks per EU by name, and settlements where the submission counted', () => {
    const state = new WatchState((id) => (id === 'eu_a' ? 'sum@1.0.0' : id));
    state.apply(event('task.submitted', { taskId: 't1', euId: 'eu_a' }, { taskId: 't1' }));
    state.apply(event('task.submitted', { taskId: 't2', euId: 'eu_a' }, { taskId: 't2' }));
    state.apply(event('task.submitted', { taskId: 't3', euId: 'eu_b' }, { taskId: 't3' }));
    state.apply(event('task.escalated', { taskId: 't2', replicas: 3, reason: 'no quorum' }, { taskId: 't2' }));
    state.apply(event('task.escalated', { taskId: 't2', replicas: 4, reason: 'no quorum' }, { taskId: 't2' }));
    state.apply(event('task.verified', { taskId: 't1' }, { taskId: 't1' }));
    state.apply(event('task.failed', { taskId: 't2', reason: 'unverifiable' }, { taskId: 't2' }));
    // A task submitted before the watch began is not counted anywhere.
    state.apply(event('task.verified', { taskId: 't0' }, { taskId: 't0' }));
    const s = state.snapshot();
    expect(s.eus).toEqual({
      'sum@1.0.0': { submitted: 2, verified: 1, failed: 1, escalated: 1 },
      eu_b: { submitted: 1, verified: 0, failed: 0, escalated: 0 },
    });
    expect(s.escalations.total).toBe(2);
    expect(s.escalations.recent[0]).toContain('t2 to 4 replicas');
    expect(s.position).toBe(seq);
  });

  it('tallies jobs from any event that names a jobId, and takes their status from job.* events', () => {
    const state = new WatchState();
    state.apply(event('task.submitted', { euId: 'eu_a', jobId: 'j1' }, { taskId: 't1' }));
    state.apply(event('task.submitted', { euId: 'eu_a' }, { taskId: 't2', jobId: 'j1' }));
    state.apply(event('task.verified', {}, { taskId: 't1' }));
    state.apply(event('job.completed' as EventType, { jobId: 'j1' }));
    expect(state.snapshot().jobs).toEqual({
      j1: { submitted: 2, verified: 1, failed: 0, escalated: 0, status: 'completed' },
    });
  });

  it('lists the latest reassignments, newest first, five at most', () => {
    const state = new WatchState();
    for (let i = 1; i <= 7; i++) {
      state.apply(
        event(
          'task.reassigned',
          {
            operatorId: `op_new${i}`,
            region: 'r2',
            replaces: { operatorId: `op_old${i}`, reason: 'operator_offline' },
          },
          { taskId: `t${i}` },
        ),
      );
    }
    const { reassignments } = state.snapshot();
    expect(reassignments.total).toBe(7);
    expect(reassignments.recent).toHaveLength(5);
    expect(reassignments.recent[0]).toBe('t7: op_old7 (operator_offline) → op_new7 in r2');
  });

  it('counts operators online per region, marks all offline when the coordinator restarts, and shows regions down', () => {
    const state = new WatchState();
    state.seed(
      [
        operator('op_a', 'eu-west', 'online'),
        operator('op_b', 'eu-west', 'degraded'),
        operator('op_c', 'us-east', 'offline'),
      ],
      [region('ap-south', true)],
    );
    expect(state.snapshot().regions).toEqual({
      'ap-south': { online: 0, operators: 0, down: true },
      'eu-west': { online: 2, operators: 2, down: false },
      'us-east': { online: 0, operators: 1, down: false },
    });
    state.apply(event('operator.offline', { region: 'eu-west' }, { operatorId: 'op_a' }));
    state.apply(event('operator.online', { region: 'us-east' }, { operatorId: 'op_c' }));
    state.apply(event('region.up', { region: 'ap-south' }));
    state.apply(event('region.down', { region: 'us-east', reason: 'outage' }));
    expect(state.snapshot().regions).toEqual({
      'eu-west': { online: 1, operators: 2, down: false },
      'us-east': { online: 1, operators: 1, down: true },
    });
    state.apply(event('coordinator.started', { coordinatorId: 'c', downtimeMs: 5 }));
    state.apply(event('operator.online', { region: 'eu-west' }, { operatorId: 'op_b' }));
    expect(state.snapshot().regions['eu-west']).toEqual({ online: 1, operators: 2, down: false });
    expect(state.snapshot().regions['us-east']!.online).toBe(0);
  });
});

describe('tasks waiting for an operator', () => {
  it('counts tasks whose task.waiting event says why, until they are assigned or settle', () => {
    const state = new WatchState();
    for (const id of ['t1', 't2', 't3']) {
      state.apply(event('task.submitted', { euId: 'eu_gpu' }, { taskId: id }));
      state.apply(event('task.waiting' as EventType, { reason: 'no_capable_operator' }, { taskId: id }));
    }
    expect(state.snapshot().waiting).toEqual({ no_capable_operator: 3 });
    state.apply(event('task.assigned', { operatorId: 'op_a', region: 'r', attempt: 1 }, { taskId: 't1' }));
    state.apply(event('task.failed', { reason: 'unverifiable' }, { taskId: 't2' }));
    expect(state.snapshot().waiting).toEqual({ no_capable_operator: 1 });
    const text = renderWatch(state.snapshot(), { url: 'u', connection: 'live', color: false }).join('\n');
    expect(text).toContain('waiting for an operator  1 (no_capable_operator)');
  });
});

describe('the watch view', () => {
  it('draws verified, failed and open tasks in proportion', () => {
    expect(bar({ submitted: 4, verified: 2, failed: 1, escalated: 0 }, false, 8)).toBe('[██████░░]');
    expect(bar({ submitted: 0, verified: 0, failed: 0, escalated: 0 }, false, 4)).toBe('[░░░░]');
  });

  it('renders each EU with its progress, the reassignments and the regions', () => {
    const state = new WatchState();
    state.seed([operator('op_a', 'eu-west', 'online')], []);
    state.apply(event('task.submitted', { euId: 'spin@1.0.0' }, { taskId: 't1' }));
    state.apply(event('task.submitted', { euId: 'spin@1.0.0' }, { taskId: 't2' }));
    state.apply(event('task.verified', {}, { taskId: 't1' }));
    const text = renderWatch(state.snapshot(), { url: 'http://c', connection: 'live', color: false }).join('\n');
    expect(text).toMatch(/spin@1\.0\.0\s+\[█+░+\]\s+50%\s+1\s+0\s+1\s+0/);
    expect(text).toContain('operators online  eu-west 1/1');
    expect(text).toContain('live');
  });
});
