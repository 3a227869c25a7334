/**
 * Folds the coordinator's event stream into the simulator's figures as it
 * arrives: counters, one-second buckets (throughput per region, failures,
 * reassignments), per-operator tallies, and every lost lease with the moment
 * its task was given to someone else. At 100k tasks the stream carries about
 * half a million events, so each one costs a few map lookups and no more;
 * everything else is derived once, at the end (see sim-report.ts).
 */
import { hashJson, type CortenEvent, type EventMap, type EventType } from '../protocol/index.js';
import { costModelOutput } from './cost-model.js';

/** The event types the simulator follows (the rest, such as verification.progress, it asks the coordinator not to
 * send). */
export const COLLECTED_EVENTS: EventType[] = [
  'task.assigned',
  'task.reassigned',
  'assignment.expired',
  'assignment.released',
  'result.received',
  'results.refused',
  'task.escalated',
  'task.verified',
  'task.failed',
  'operator.online',
  'operator.offline',
  'region.down',
  'region.up',
  'ledger.rewarded',
  'ledger.slashed',
];

export interface Bucket {
  verified: number;
  failed: number;
  reassigned: number;
  expired: number;
  refused: number;
  /** Results received, per region (index into the run's regions). */
  executions: number[];
}

export interface LostLease {
  assignmentId: string;
  taskId: string;
  operatorId: string;
  reason: string;
  ts: number;
  /** When the task got a new assignment elsewhere, or settled; null if neither happened. */
  resolvedAt: number | null;
  resolvedBy: 'reassigned' | 'settled' | null;
}

export interface OperatorTally {
  assigned: number;
  /** Coordinator time of its last assignment (0: none). */
  lastAssignedAt: number;
  executions: number;
  agreeing: number;
  dissenting: number;
  rewards: number;
  slashes: number;
  slashCount: number;
}

export class EventCollector {
  readonly counts = new Map<EventType, number>();
  /** Refused results: `results.refused` events carry counts, so they are summed, not counted. */
  refused = 0;
  readonly buckets: Bucket[] = [];
  readonly lost: LostLease[] = [];
  readonly operators = new Map<string, OperatorTally>();
  readonly presence: { ts: number; operatorId: string; online: boolean; reason: string }[] = [];
  readonly regionMarks: { ts: number; region: string; down: boolean; reason: string }[] = [];
  readonly failedReasons = new Map<string, number>();
  /** Verified tasks whose accepted output is not the honest one. */
  readonly wrongAccepted: { taskId: string; agreeing: string[] }[] = [];
  verified = 0;
  failed = 0;
  settledTwice = 0;
  lastSeq = 0;
  /** Coordinator time of the last event. */
  lastTs = 0;

  /** Task id → index into `euNames` and input number; the honest output follows from them. */
  private readonly tasks = new Map<string, { eu: number; n: number }>();
  private readonly settled = new Set<string>();
  private readonly euNames: string[] = [];
  /** Verdicts that arrived before their submission's reply told us the task's input. */
  private readonly early = new Map<string, { outputHash: string; agreeing: string[] }>();
  private readonly lostByTask = new Map<string, LostLease[]>();
  private readonly regionIndex = new Map<string, number>();
  private readonly regionOfOperator = new Map<string, number>();
  private settleWaiters: (() => void)[] = [];

  /**
   * @param t0 the run's start (ms, same clock as the coordinator's: one machine)
   * @param regions the run's regions, in plan order
   */
  constructor(
    private readonly t0: number,
    regions: string[],
    operatorRegions: Iterable<[string, string]>,
  ) {
    regions.forEach((r, i) => this.regionIndex.set(r, i));
    for (const [op, region] of operatorRegions) this.regionOfOperator.set(op, this.regionIndex.get(region) ?? 0);
  }

  /** Tasks submitted so far. */
  get submitted(): number {
    return this.tasks.size;
  }

  get open(): number {
    return this.tasks.size - this.settled.size;
  }

  /** Records a submission: `taskIds[i]` ran `euName` on input `{ n: firstN + i }`. */
  register(taskIds: readonly string[], euName: string, firstN: number): void {
    let eu = this.euNames.indexOf(euName);
    if (eu < 0) eu = this.euNames.push(euName) - 1;
    taskIds.forEach((id, i) => {
      this.tasks.set(id, { eu, n: firstN + i });
      const verdict = this.early.get(id);
      if (verdict) {
        this.early.delete(id);
        this.judge(id, verdict.outputHash, verdict.agreeing);
      }
    });
    this.notify();
  }

  /** Task ids submitted and not settled. */
  openTasks(): string[] {
    return [...this.tasks.keys()].filter((id) => !this.settled.has(id));
  }

  /** Resolves the next time a task settles or a submission is registered. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  add(e: CortenEvent): void {
    this.lastSeq = e.seq;
    this.lastTs = e.ts;
    this.counts.set(e.type, (this.counts.get(e.type) ?? 0) + 1);
    switch (e.type) {
      case 'task.assigned':
      case 'task.reassigned': {
        const d = e.data as EventMap['task.assigned'];
        if (e.type === 'task.reassigned') this.bucket(e.ts).reassigned += 1;
        const t = this.tally(d.operatorId);
        t.assigned += 1;
        t.lastAssignedAt = e.ts;
        this.resolveLost(d.taskId, e.ts, 'reassigned', d.operatorId);
        return;
      }
      case 'assignment.expired':
      case 'assignment.released': {
        const d = e.data as EventMap['assignment.expired'];
        const lease: LostLease = {
          assignmentId: d.assignmentId,
          taskId: d.taskId,
          operatorId: d.operatorId,
          reason: d.reason,
          ts: e.ts,
          resolvedAt: null,
          resolvedBy: null,
        };
        this.lost.push(lease);
        const list = this.lostByTask.get(d.taskId);
        if (list) list.push(lease);
        else this.lostByTask.set(d.taskId, [lease]);
        this.bucket(e.ts).expired += 1;
        return;
      }
      case 'result.received': {
        const d = e.data as EventMap['result.received'];
        this.bucket(e.ts).executions[this.regionOfOperator.get(d.operatorId) ?? 0]! += 1;
        this.tally(d.operatorId).executions += 1;
        return;
      }
      case 'results.refused': {
        const total = (e.data as EventMap['results.refused']).total;
        this.bucket(e.ts).refused += total;
        this.refused += total;
        return;
      }
      case 'task.verified': {
        const d = e.data as EventMap['task.verified'];
        if (!this.settle(d.taskId, e.ts)) return;
        this.verified += 1;
        this.bucket(e.ts).verified += 1;
        for (const op of d.agreeing) this.tally(op).agreeing += 1;
        for (const op of d.dissenting) this.tally(op).dissenting += 1;
        if (this.tasks.has(d.taskId)) this.judge(d.taskId, d.outputHash, d.agreeing);
        else this.early.set(d.taskId, { outputHash: d.outputHash, agreeing: d.agreeing });
        return;
      }
      case 'task.failed': {
        const d = e.data as EventMap['task.failed'];
        if (!this.settle(d.taskId, e.ts)) return;
        this.failed += 1;
        this.bucket(e.ts).failed += 1;
        this.failedReasons.set(d.reason, (this.failedReasons.get(d.reason) ?? 0) + 1);
        for (const op of d.dissenting ?? []) this.tally(op).dissenting += 1;
        return;
      }
      case 'operator.online':
      case 'operator.offline': {
        const d = e.data as EventMap['operator.offline'];
        if (!this.regionOfOperator.has(d.operatorId))
          this.regionOfOperator.set(d.operatorId, this.regionIndex.get(d.region) ?? 0);
        this.presence.push({
          ts: e.ts,
          operatorId: d.operatorId,
          online: e.type === 'operator.online',
          reason: d.reason ?? '',
        });
        return;
      }
      case 'region.down':
      case 'region.up': {
        const d = e.data as EventMap['region.down'];
        this.regionMarks.push({ ts: e.ts, region: d.region, down: e.type === 'region.down', reason: d.reason });
        return;
      }
      case 'ledger.rewarded': {
        const d = e.data as EventMap['ledger.rewarded'];
        this.tally(d.operatorId).rewards += d.amount;
        return;
      }
      case 'ledger.slashed': {
        const d = e.data as EventMap['ledger.slashed'];
        const t = this.tally(d.operatorId);
        t.slashes += d.amount;
        t.slashCount += 1;
        return;
      }
      default:
        return;
    }
  }

  private settle(taskId: string, ts: number): boolean {
    if (this.settled.has(taskId)) {
      this.settledTwice += 1;
      return false;
    }
    this.settled.add(taskId);
    this.resolveLost(taskId, ts, 'settled', null);
    this.notify();
    return true;
  }

  private judge(taskId: string, outputHash: string, agreeing: string[]): void {
    const meta = this.tasks.get(taskId)!;
    const honest = hashJson(costModelOutput(this.euNames[meta.eu]!, { n: meta.n }));
    if (outputHash !== honest) this.wrongAccepted.push({ taskId, agreeing });
  }

  private resolveLost(taskId: string, ts: number, by: 'reassigned' | 'settled', newOperator: string | null): void {
    const list = this.lostByTask.get(taskId);
    if (!list) return;
    const remaining = list.filter((lease) => {
      if (by === 'reassigned' && lease.operatorId === newOperator) return true;
      lease.resolvedAt = ts;
      lease.resolvedBy = by;
      return false;
    });
    if (remaining.length > 0) this.lostByTask.set(taskId, remaining);
    else this.lostByTask.delete(taskId);
  }

  private tally(operatorId: string): OperatorTally {
    let t = this.operators.get(operatorId);
    if (!t) {
      t = {
        assigned: 0,
        lastAssignedAt: 0,
        executions: 0,
        agreeing: 0,
        dissenting: 0,
        rewards: 0,
        slashes: 0,
        slashCount: 0,
      };
      this.operators.set(operatorId, t);
    }
    return t;
  }

  private bucket(ts: number): Bucket {
    const i = Math.max(0, Math.floor((ts - this.t0) / 1000));
    while (this.buckets.length <= i) {
      this.buckets.push({
        verified: 0,
        failed: 0,
        reassigned: 0,
        expired: 0,
        refused: 0,
        executions: new Array<number>(this.regionIndex.size).fill(0),
      });
    }
    return this.buckets[i]!;
  }

  private notify(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }
}
