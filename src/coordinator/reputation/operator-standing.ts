/**
 * Operator standing: the status changes trust and economics make.
 *
 *   online ──figures degrade──▶ degraded ──figures recover──▶ online
 *   any ──stake below the floor, or repeated dissent──▶ suspended
 *   suspended ──stake restored (if that was why), or an admin──▶ online | offline
 *
 * Each change is written with its event in the turn. A degraded operator
 * keeps working with fewer slots; a suspended one gets no new work. An
 * operator suspended for dissent also loses its running leases at once
 * (expired as `proactive`): its results are not worth waiting for.
 */
import type { FlowContext } from '../lifecycle/index.js';
import type { OperatorState, Turn } from '../memory/index.js';
import { loseLease } from '../lifecycle/index.js';

/** Prefix of the status reason of a stake suspension (a deposit lifts it). */
export const STAKE_SUSPENSION = 'stake below the minimum';

function persist(turn: Turn, op: OperatorState): void {
  turn.changes.push({ op: 'operator.update', id: op.id, set: { status: op.status, statusReason: op.statusReason } });
}

export function suspend(ctx: FlowContext, turn: Turn, op: OperatorState, reason: string, moveLeases: boolean): void {
  if (op.status === 'suspended') return;
  op.status = 'suspended';
  op.statusReason = reason;
  persist(turn, op);
  turn.event('operator.suspended', { operatorId: op.id, reason }, { operatorId: op.id });
  if (!moveLeases) return;
  for (const id of [...op.active]) {
    const a = ctx.memory.assignments.get(id);
    if (a) loseLease(ctx, turn, a, 'expired', 'proactive');
  }
}

export function reinstate(turn: Turn, op: OperatorState): void {
  if (op.status !== 'suspended') return;
  op.status = op.conn ? 'online' : 'offline';
  op.statusReason = null;
  persist(turn, op);
  turn.event('operator.reinstated', { operatorId: op.id }, { operatorId: op.id });
}

export function degrade(turn: Turn, op: OperatorState, reasons: string[]): void {
  if (op.status !== 'online') return;
  op.status = 'degraded';
  op.statusReason = reasons.join('; ');
  persist(turn, op);
  turn.event('operator.degraded', { operatorId: op.id, reason: op.statusReason }, { operatorId: op.id });
}

export function recover(turn: Turn, op: OperatorState): void {
  if (op.status !== 'degraded') return;
  op.status = 'online';
  op.statusReason = null;
  persist(turn, op);
  turn.event('operator.recovered', { operatorId: op.id }, { operatorId: op.id });
}
