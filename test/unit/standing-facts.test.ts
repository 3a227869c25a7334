/**
 * Reputation as a part of its own (reputation/standing.ts): it counts a verdict's agreement
 * and dissent when the verdict is reached, and suspends only at the end of the turn, since
 * suspending moves leases and must not nest inside the flow that stated the fact.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/coordinator/config/config.js';
import { Ledger } from '../../src/coordinator/economics/ledger.js';
import { StakeBook } from '../../src/coordinator/economics/stake-book.js';
import type { AssignmentState, OperatorState, TaskState } from '../../src/coordinator/memory/state.js';
import { TaskMemory } from '../../src/coordinator/memory/task-memory.js';
import { Turn } from '../../src/coordinator/memory/turn.js';
import { Standing, type StandingContext } from '../../src/coordinator/reputation/standing.js';

function operator(id: string): OperatorState {
  return {
    id,
    publicKey: '',
    region: 'eu',
    resources: { cpu: 4, memoryMb: 8192, gpuMemoryMb: 0, capabilities: [], eus: [] },
    maxConcurrent: 2,
    slots: 2,
    status: 'online',
    statusReason: null,
    conn: null,
    active: new Set(),
    sentEus: new Set(),
    firstSeenAt: 0,
    lastSeenAt: 0,
    reconnectDeadline: null,
    lastAssignedAt: 0,
    freeSince: 0,
  };
}

function verdictTask(id: string): TaskState {
  const assignments = [
    { id: `${id}-a`, operatorId: 'honest', status: 'accepted' },
    { id: `${id}-b`, operatorId: 'liar', status: 'rejected' },
  ] as AssignmentState[];
  return { id, eu: { id: 'eu_x' }, solo: false, assignments } as unknown as TaskState;
}

describe('Standing reacts to domain facts within the turn', () => {
  it('counts dissent when the verdict is reached, and suspends the dissenter at the end of the turn', () => {
    const operators = new Map([
      ['honest', operator('honest')],
      ['liar', operator('liar')],
    ]);
    const ctx = {
      config: defaultConfig({ suspendAfterDissents: 1 }),
      memory: new TaskMemory(0),
      operators,
      now: () => 1,
    } as unknown as StandingContext;
    const standing = new Standing(ctx, new StakeBook(new Ledger(), 0, 0));
    const turn = new Turn(1);
    for (const id of ['t1', 't2', 't3']) {
      standing.verdictReached(turn, { task: verdictTask(id), status: 'verified', failure: null });
    }

    expect(standing.book.get('liar')!.dissent.value(1)).toBeGreaterThan(0);
    expect(standing.book.get('honest')!.agree.value(1)).toBeGreaterThan(0);
    expect(operators.get('liar')!.status).toBe('online');

    const before: string[] = [];
    standing.endTurn(turn, new Set(), (_t, op) => before.push(op.id));
    expect(before).toEqual(['liar']);
    expect(operators.get('liar')!.status).toBe('suspended');
    expect(operators.get('honest')!.status).toBe('online');
    expect(turn.changes.events.map((e) => e.type)).toEqual(['operator.suspended']);
  });
});
