/**
 * Standing notices: after a turn that moved an operator's stake or earnings
 * or changed its status, the operator is sent its standing as the
 * coordinator now holds it, with what changed (a `standing` frame, see
 * protocol/wire.ts). The frame is queued on the turn, so it leaves only once
 * the turn is committed, like every other effect. One frame a connection a
 * turn, however many events touched it; an operator that is offline hears of
 * its standing when it reconnects (the welcome turn sends it).
 */
import type { NewEvent, StandingChange, StandingMessage } from '../../protocol/index.js';
import type { OperatorState, Turn } from '../memory/index.js';
import type { Trust } from './trust.js';

/** Events that change what a standing notice says, and what each tells the operator. */
function changeOf(e: NewEvent): StandingChange | null | undefined {
  switch (e.type) {
    case 'ledger.slashed': {
      const d = e.data as { amount: number; reason: string; taskId?: string };
      return { kind: 'slashed', amount: d.amount, reason: d.reason, ...(d.taskId ? { taskId: d.taskId } : {}) };
    }
    case 'operator.suspended':
      return { kind: 'suspended', reason: (e.data as { reason: string }).reason };
    case 'operator.reinstated':
      return { kind: 'reinstated' };
    case 'operator.degraded':
      return { kind: 'degraded', reason: (e.data as { reason: string }).reason };
    case 'operator.recovered':
      return { kind: 'recovered' };
    case 'ledger.withdrawn': {
      const d = e.data as { amount: number; source?: string };
      return d.source === 'earnings' ? { kind: 'earnings_paid', amount: d.amount } : null;
    }
    // Figures moved, nothing to report beyond them.
    case 'operator.online':
    case 'ledger.rewarded':
    case 'ledger.deposited':
    case 'ledger.withdrawal_requested':
      return null;
    default:
      return undefined;
  }
}

/** Queues a standing notice for every connected operator the turn's events touched. */
export function queueStandingNotices(turn: Turn, operators: ReadonlyMap<string, OperatorState>, trust: Trust): void {
  let touched: Map<string, StandingChange[]> | null = null;
  for (const e of turn.changes.events) {
    if (!e.operatorId) continue;
    const change = changeOf(e);
    if (change === undefined) continue;
    touched ??= new Map();
    let list = touched.get(e.operatorId);
    if (!list) touched.set(e.operatorId, (list = []));
    if (change) list.push(change);
  }
  if (!touched) return;
  for (const [operatorId, changes] of touched) {
    const op = operators.get(operatorId);
    if (!op?.conn) continue;
    turn.sendControl(op.conn, standingOf(op, trust, changes));
  }
}

export function standingOf(op: OperatorState, trust: Trust, changes: StandingChange[]): StandingMessage {
  const view = trust.stakes.view(op.id);
  return {
    t: 'standing',
    status: op.status,
    statusReason: op.statusReason,
    stake: view.stake,
    unbonding: view.unbonding,
    earnings: view.earnings,
    minStake: view.minStake,
    eligible: trust.eligible(op.id),
    changes,
  };
}
