/**
 * The operator lifecycle, as the engine applies it inside a turn.
 *
 *   joining ──hello verified──▶ online ⇄ degraded ──▶ offline
 *                                 │                     ▲
 *                                 └──drain──▶ draining ─┘ (once its work is done)
 *   any state ──▶ suspended (reputation or stake below the floor)
 *
 * An operator is offline the moment its socket closes, or once it has been
 * silent for `heartbeatMissThreshold` heartbeat intervals (a hung process
 * keeps its socket open; silence is how we see it). Going offline expires
 * every lease it holds, and the tasks go straight back to the front of their
 * queues, so they are reassigned in the same turn when capacity exists.
 */
import type { HelloMessage, PaceMessage } from '../../protocol/index.js';
import { heartbeatIntervalFor } from '../config/index.js';
import type { FlowContext } from './flow-context.js';
import type { OperatorConnection, OperatorState, Turn } from '../memory/index.js';
import { loseLease } from './task-flow.js';

export function connect(
  ctx: FlowContext,
  turn: Turn,
  conn: OperatorConnection,
  hello: HelloMessage,
  operatorId: string,
): void {
  let op = ctx.operators.get(operatorId);
  if (op?.conn && op.conn !== conn) {
    // A second connection with the same key replaces the first (closed once this turn is durable).
    turn.close(op.conn, 4000, 'replaced by a newer connection');
  }
  if (!op) {
    op = {
      id: operatorId,
      publicKey: hello.publicKey,
      region: hello.region,
      resources: hello.resources,
      maxConcurrent: hello.maxConcurrent,
      slots: 1,
      status: 'joining',
      statusReason: null,
      conn: null,
      active: new Set(),
      sentEus: new Set(),
      firstSeenAt: turn.now,
      lastSeenAt: turn.now,
      reconnectDeadline: null,
      lastAssignedAt: 0,
      freeSince: null,
    };
    ctx.operators.set(op.id, op);
  }
  op.conn = conn;
  op.heartbeatMs = pace(ctx, turn, op);
  op.sentEus = new Set();
  op.region = hello.region;
  op.resources = hello.resources;
  op.maxConcurrent = hello.maxConcurrent;
  ctx.trust.refreshSlots(op, turn.now);
  op.lastSeenAt = turn.now;
  op.reconnectDeadline = null;
  op.freeSince = turn.now;
  if (op.status !== 'suspended') {
    op.status = 'online';
    op.statusReason = null;
  }

  // Leases it still holds carry on; leases we think it holds but it does not (it restarted) are lost.
  const held = new Set(hello.held);
  const resumed: string[] = [];
  for (const id of [...op.active]) {
    const a = ctx.memory.assignments.get(id);
    if (!a) continue;
    if (held.has(id) && a.status === 'leased') resumed.push(id);
    else loseLease(ctx, turn, a, 'expired', 'operator_offline');
  }

  turn.changes.push({
    op: 'operator.upsert',
    row: {
      id: op.id,
      publicKey: op.publicKey,
      region: op.region,
      status: op.status,
      resources: JSON.stringify(op.resources),
      maxConcurrent: op.maxConcurrent,
      firstSeenAt: op.firstSeenAt,
      lastSeenAt: turn.now,
      statusReason: op.statusReason,
    },
  });
  turn.event(
    'operator.online',
    { operatorId: op.id, region: op.region, resumed: resumed.length },
    { operatorId: op.id },
  );
  turn.sendControl(conn, {
    t: 'welcome',
    operatorId: op.id,
    heartbeatIntervalMs: op.heartbeatMs,
    resumed,
  });
  ctx.regions.operatorOnline(turn, op);
}

/**
 * The heartbeat interval for an operator joining the connected ones. When the network has grown past the
 * interval the others were told (config.ts `heartbeatBudgetPerS`), each is told the new one in a `pace` frame
 * and judged by it from now on: a longer interval only ever gives an operator more time.
 */
function pace(ctx: FlowContext, turn: Turn, joining: OperatorState): number {
  let connected = 0;
  for (const other of ctx.operators.values()) if (other.conn) connected += 1;
  const interval = heartbeatIntervalFor(ctx.config, connected);
  if (interval === heartbeatIntervalFor(ctx.config, connected - 1)) return interval;
  const frame: PaceMessage = { t: 'pace', heartbeatIntervalMs: interval };
  for (const other of ctx.operators.values()) {
    if (other === joining || !other.conn || (other.heartbeatMs ?? 0) >= interval) continue;
    other.heartbeatMs = interval;
    turn.sendControl(other.conn, frame);
  }
  return interval;
}

/**
 * The operator's connection is gone (closed, or silent too long). `graceful`
 * is false for a heartbeat timeout, where we close the socket ourselves.
 */
export function disconnect(
  ctx: FlowContext,
  turn: Turn,
  conn: OperatorConnection,
  operatorId: string,
  reason: string,
  _closed: boolean,
): void {
  const op = ctx.operators.get(operatorId);
  if (!op || op.conn !== conn) return;
  goOffline(ctx, turn, op, reason);
}

function goOffline(ctx: FlowContext, turn: Turn, op: OperatorState, reason: string): void {
  const wasDraining = op.status === 'draining';
  op.conn = null;
  let expired = 0;
  for (const id of [...op.active]) {
    const a = ctx.memory.assignments.get(id);
    if (!a) continue;
    loseLease(ctx, turn, a, 'expired', 'operator_offline');
    expired += 1;
  }
  const cleanExit = wasDraining && expired === 0;
  if (op.status !== 'suspended') {
    op.status = 'offline';
    op.statusReason = cleanExit ? 'drained' : reason;
  }
  turn.changes.push({
    op: 'operator.update',
    id: op.id,
    set: { status: op.status, statusReason: op.statusReason, lastSeenAt: op.lastSeenAt },
  });
  turn.event(
    'operator.offline',
    { operatorId: op.id, region: op.region, reason: cleanExit ? 'drained' : reason, expired },
    { operatorId: op.id },
  );
  if (!cleanExit) ctx.regions.operatorLost(turn, op);
}

export function drain(ctx: FlowContext, turn: Turn, operatorId: string): void {
  const op = ctx.operators.get(operatorId);
  if (!op || op.status === 'draining' || op.status === 'offline') return;
  if (op.status !== 'suspended') op.status = 'draining';
  turn.changes.push({ op: 'operator.update', id: op.id, set: { status: op.status, statusReason: 'drain requested' } });
  turn.event('operator.draining', { operatorId: op.id }, { operatorId: op.id });
}

export function release(
  ctx: FlowContext,
  turn: Turn,
  operatorId: string,
  assignmentIds: string[],
  reason: string,
): void {
  const op = ctx.operators.get(operatorId);
  if (!op) return;
  for (const id of assignmentIds) {
    const a = ctx.memory.assignments.get(id);
    if (a && a.operatorId === op.id && a.status === 'leased') loseLease(ctx, turn, a, 'released', reason);
  }
}

/**
 * The reaper: silent operators go offline; overdue leases expire; unresumed leases after a restart expire.
 *
 * It judges at `at`, which the engine sets to when the previous reaper pass was due, not to when this
 * one runs: every frame that had reached the coordinator by then was read before this pass was queued,
 * so its heartbeat has refreshed the operator and its results run ahead of this pass in the inbox. An
 * operator is never judged by what the coordinator had not yet found time to read (its own lag).
 */
export function reap(ctx: FlowContext, turn: Turn, at: number = turn.now): void {
  const now = at;
  const misses = ctx.config.heartbeatMissThreshold;
  for (const op of ctx.operators.values()) {
    const silentAfter = op.heartbeatMs === undefined ? ctx.offlineAfterMs : op.heartbeatMs * misses;
    if (op.conn && now - op.lastSeenAt > silentAfter) {
      const conn = op.conn;
      goOffline(ctx, turn, op, 'heartbeat_timeout');
      turn.close(conn, 4001, `no heartbeat for ${now - op.lastSeenAt} ms`);
    } else if (!op.conn && op.reconnectDeadline !== null && now > op.reconnectDeadline) {
      op.reconnectDeadline = null;
      for (const id of [...op.active]) {
        const a = ctx.memory.assignments.get(id);
        if (a) loseLease(ctx, turn, a, 'expired', 'coordinator_restart');
      }
    }
  }
  for (const a of ctx.memory.assignments.values()) {
    if (a.status === 'leased' && now > a.leaseExpiresAt) {
      const op = ctx.operators.get(a.operatorId);
      // Leases of an operator still inside its post-restart reconnect window wait for that window.
      if (op && !op.conn && op.reconnectDeadline !== null) continue;
      loseLease(ctx, turn, a, 'expired', 'lease_deadline');
    }
  }
}
