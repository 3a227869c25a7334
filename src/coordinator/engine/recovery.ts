/**
 * Start-up: rebuild the engine's memory from the store.
 *
 * Open tasks come back with their assignments. Results already received are
 * kept (they were acknowledged, so they are durable). Leases still out are
 * kept too, with their deadlines pushed back by the coordinator's downtime:
 * operators are not blamed for the time the coordinator was away. Their
 * operators get `reconnectGraceMs` to reconnect and resume them; after that
 * the leases expire and the work is reassigned.
 */
import type { OperatorResources } from '../../protocol/index.js';
import type { Engine } from './engine.js';
import { isFreeLoss, replicasToAssign, type AssignmentState, type TaskState } from '../memory/index.js';
import type { Turn } from '../memory/index.js';

export interface RecoveryReport {
  downtimeMs: number;
  tasks: number;
  leases: number;
}

export async function recover(engine: Engine): Promise<RecoveryReport> {
  const { store } = engine;
  const now = engine.now();
  // The reads are independent, and nobody else writes while this coordinator recovers (a new leader holds the
  // epoch): on PostgreSQL they run side by side on the pool's connections, which is most of a takeover's rebuild.
  const [eus, lastSeq, lastAliveMeta, operators, regions, tasks, assignments, taskAccounts] = await Promise.all([
    store.listEus(),
    store.lastEventSeq(),
    store.getMeta('last_alive'),
    store.listOperators(),
    store.listRegions(),
    store.loadOpenTasks(),
    store.loadAssignmentsOfOpenTasks(),
    store.trust.loadTaskAccountsOfOpenTasks(),
    engine.trust.load(store, now),
  ]);
  for (const row of eus) engine.eus.add(engine.eus.fromRow(row));
  engine.bus.seq = lastSeq;
  const lastAlive = Number(lastAliveMeta ?? now);
  const downtimeMs = Math.max(0, now - lastAlive);

  for (const row of operators) {
    engine.operators.set(row.id, {
      id: row.id,
      publicKey: row.publicKey,
      region: row.region,
      resources: JSON.parse(row.resources) as OperatorResources,
      maxConcurrent: row.maxConcurrent,
      slots: 1,
      status: row.status === 'suspended' ? 'suspended' : 'offline',
      statusReason: row.status === 'suspended' ? row.statusReason : 'coordinator restarted',
      conn: null,
      active: new Set(),
      sentEus: new Set(),
      firstSeenAt: row.firstSeenAt,
      lastSeenAt: row.lastSeenAt,
      reconnectDeadline: null,
      lastAssignedAt: 0,
      freeSince: null,
    });
  }
  engine.regions.restore(regions);

  for (const row of tasks) {
    const eu = engine.eus.get(row.euId);
    if (!eu) throw new Error(`task ${row.id} refers to unknown EU ${row.euId}`);
    const task: TaskState = {
      id: row.id,
      eu,
      owner: row.owner,
      status: row.status,
      input: null,
      inputHash: row.inputHash,
      seed: row.seed,
      clock: row.clock,
      quorum: row.quorum,
      maxReplicas: row.maxReplicas,
      replicas: row.replicas,
      attempts: row.attempts,
      freeAttempts: 0,
      submittedAt: row.submittedAt,
      assignments: [],
      lostLeases: [],
      queued: false,
      readyAt: now,
    };
    engine.tasks.set(task.id, task);
  }

  let leases = 0;
  const graceDeadline = now + engine.config.reconnectGraceMs;
  for (const row of assignments) {
    const task = engine.tasks.get(row.taskId);
    const op = engine.operators.get(row.operatorId);
    if (!task) continue;
    const a: AssignmentState = {
      id: row.id,
      taskId: row.taskId,
      operatorId: row.operatorId,
      region: op?.region ?? 'unknown',
      attempt: row.attempt,
      status: row.status,
      leasedAt: row.leasedAt,
      leaseExpiresAt: row.leaseExpiresAt + downtimeMs,
      finishedAt: row.finishedAt,
      outputHash: row.outputHash,
      output: row.output,
      errorCode: row.errorCode,
      signature: row.signature,
      proof: row.signatureProof ? (JSON.parse(row.signatureProof) as string[]) : [],
      durationMs: row.durationMs,
    };
    task.assignments.push(a);
    if (a.status === 'expired' || a.status === 'released') {
      if (isFreeLoss(a.status, row.endReason)) task.freeAttempts += 1;
      task.lostLeases.push({ assignmentId: a.id, operatorId: a.operatorId, reason: row.endReason ?? a.status });
    }
    if (a.status === 'leased' || a.status === 'submitted') engine.assignments.set(a.id, a);
    if (a.status === 'leased') {
      leases += 1;
      if (op) {
        op.active.add(a.id);
        op.reconnectDeadline = graceDeadline;
      }
    }
  }
  for (const row of taskAccounts) {
    const task = engine.tasks.get(row.taskId);
    if (task) task.payer = { accountId: row.accountId, escrow: row.escrow, escrowEntry: row.escrowEntry };
  }
  // Only the latest losses are still waiting for their replacement: one for each replica the task still needs.
  for (const task of engine.tasks.values())
    task.lostLeases = task.lostLeases.slice(task.lostLeases.length - replicasToAssign(task));
  // Jobs after their tasks: a running job's open step tasks are the tasks just loaded.
  await engine.workflows.load();
  engine.trust.markRecovered(now);
  for (const task of engine.tasks.values()) engine.scheduler.enqueue(task);

  await engine.command((turn: Turn) => {
    engine.markAlive(turn);
    engine.workflows.resume(turn);
    turn.event('coordinator.started', {
      coordinatorId: engine.coordinatorId,
      downtimeMs,
      recoveredTasks: tasks.length,
      recoveredLeases: leases,
    });
  });
  return { downtimeMs, tasks: tasks.length, leases };
}
