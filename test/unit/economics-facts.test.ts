/**
 * Economics as a part of its own: it reacts to the domain facts (verdict reached, lease
 * lost) in the command that states them, so a verdict's settlement is made in the verdict's
 * own turn and committed in its transaction, not gathered one hop later at the end of the turn.
 * Trust runs here on a fake context: the flows' narrow contexts make that possible.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/coordinator/config/config.js';
import { Economics } from '../../src/coordinator/economics/economics.js';
import type { AssignmentState, EuState, TaskState } from '../../src/coordinator/memory/state.js';
import { TaskMemory } from '../../src/coordinator/memory/task-memory.js';
import { Turn } from '../../src/coordinator/memory/turn.js';
import { Trust } from '../../src/coordinator/trust/trust.js';
import type { TrustContext } from '../../src/coordinator/trust/trust-context.js';
import { EuManifest, GENESIS_HASH } from '../../src/protocol/index.js';

function eu(price: number): EuState {
  const verification = { quorum: 2, maxReplicas: 4 };
  const manifest = EuManifest.parse({ name: 'x', version: '1.0.0', price, verification });
  return { id: 'eu_x', manifest, files: {}, publishedAt: 0, owner: 'network', checkInput: () => null };
}

function task(e: EuState, results: [string, AssignmentState['status'], Partial<AssignmentState>?][]): TaskState {
  return {
    id: 't1',
    eu: e,
    status: 'running',
    input: null,
    quorum: 2,
    maxReplicas: 4,
    replicas: 2,
    attempts: results.length,
    assignments: results.map(([operatorId, status, extra], i) => ({
      id: `a${i}`,
      operatorId,
      status,
      finishedAt: i,
      ...extra,
    })),
  } as TaskState;
}

function fakeContext(): TrustContext {
  const ctx = {
    config: defaultConfig({ minStake: 0, slashDissent: 50, slashExpiry: 5 }),
    memory: new TaskMemory(1 << 20),
    operators: new Map(),
    scheduler: { enqueue: () => {} },
    regions: { operatorOnline: () => {}, operatorLost: () => {} },
    eus: undefined as never,
    offlineAfterMs: 10_000,
    now: () => 0,
    store: { getTaskInputs: async () => new Map<string, string>() },
    command: async () => undefined as never,
  } as unknown as TrustContext & { trust: Trust };
  ctx.trust = new Trust(ctx);
  return ctx;
}

const balances = { balances: new Map<string, number>(), head: { seq: 0, hash: GENESIS_HASH } };

describe('Economics reacts to domain facts within the turn', () => {
  it('settles a verdict in the command that reaches it, before the end of the turn', () => {
    const ctx = fakeContext();
    const trust = ctx.trust as Trust;
    trust.ledger.load(balances);
    const turn = new Turn(1);
    trust.deposit(turn, 'acct', 100);
    const e = eu(10);
    const t = task(e, [
      ['a', 'accepted'],
      ['b', 'accepted'],
    ]);
    trust.taskCreated(turn, t, trust.escrow(turn, e, 'acct', 1));
    trust.finish(turn, t, 'verified', null);
    // Closed now, without endTurn: the verdict's movements are already in this turn's settlement.
    const closed = trust.settlement.close(turn.changes, turn.now);
    expect(closed.entryId).not.toBeNull();
    expect(trust.ledger.balance('earn:a')).toBe(10);
    expect(trust.ledger.balance('earn:b')).toBe(10);
    expect(turn.changes.events.filter((x) => x.type === 'ledger.rewarded')).toHaveLength(2);
  });

  it("slashes a lost lease only when it was the operator's fault, and an overrun only once it is verified", () => {
    const economics = new Economics({ slashDissent: 50, slashExpiry: 5, minStake: 0, unbondingMs: 0 });
    economics.ledger.load({ balances: new Map([['stake:op', 100]]), head: balances.head });
    const turn = new Turn(1);
    const e = eu(0);
    const t = task(e, [
      ['op', 'expired'],
      ['op', 'released'],
      ['op', 'expired', { overran: true }],
    ]);
    const [silent, released, overrun] = t.assignments as [AssignmentState, AssignmentState, AssignmentState];
    const lost = (a: AssignmentState, status: 'expired' | 'released', reason: string, blamed: boolean) =>
      economics.leaseLost(turn, { task: t, assignment: a, status, reason, blamed });
    lost(silent, 'expired', 'coordinator_restart', false);
    lost(silent, 'expired', 'proactive', true);
    lost(released, 'released', 'operator_released', true);
    lost(overrun, 'expired', 'lease_deadline', true);
    expect(economics.settlement.close(turn.changes, turn.now).slashed.size).toBe(0);
    lost(silent, 'expired', 'operator_offline', true);
    economics.verdictReached(turn, { task: t, status: 'verified', failure: null });
    economics.closeTurn(turn);
    const slashes = turn.changes.events.filter((x) => x.type === 'ledger.slashed').map((x) => x.data);
    expect(slashes).toEqual([
      expect.objectContaining({ operatorId: 'op', amount: 5, reason: 'operator_offline' }),
      expect.objectContaining({ operatorId: 'op', amount: 5, reason: 'lease_deadline' }),
    ]);
    expect(economics.ledger.balance('stake:op')).toBe(90);
  });
});
