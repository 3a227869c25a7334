/**
 * The fence a turn puts on an assignment update: the row as the store has
 * it, that is, memory before this turn's first change to the assignment.
 */
import { describe, expect, it } from 'vitest';
import { Turn } from '../../src/coordinator/memory/turn.js';
import type { AssignmentStatus } from '../../src/store/index.js';

describe('Turn.updateAssignment', () => {
  it('fences an update with the attempt and status memory held before the change', () => {
    const turn = new Turn(100);
    turn.updateAssignment({ id: 'a1', attempt: 3, status: 'leased' }, { status: 'expired', finishedAt: 100 });
    expect(turn.changes.changes).toEqual([
      {
        op: 'assignment.update',
        id: 'a1',
        fence: { attempt: 3, status: 'leased' },
        set: { status: 'expired', finishedAt: 100 },
      },
    ]);
  });

  it('merges a second update of the row into the first, keeping the first fence', () => {
    const turn = new Turn(100);
    const a = { id: 'a1', attempt: 1, status: 'leased' as AssignmentStatus };
    turn.updateAssignment(a, { status: 'submitted', outputHash: 'o' });
    a.status = 'submitted';
    turn.event(
      'task.verified',
      { taskId: 't1', outputHash: 'o', agreeing: [], dissenting: [], solo: false },
      { taskId: 't1' },
    );
    turn.updateAssignment(a, { status: 'accepted' });
    const updates = turn.changes.changes.filter((c) => c.op === 'assignment.update');
    expect(updates).toEqual([
      {
        op: 'assignment.update',
        id: 'a1',
        fence: { attempt: 1, status: 'leased' },
        set: { status: 'accepted', outputHash: 'o' },
      },
    ]);
  });
});
