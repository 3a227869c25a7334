/**
 * Push scheduling. Tasks wait in one FIFO per EU; each pass walks the queues
 * round-robin (so a new EU's tasks do not wait behind another EU's backlog)
 * and gives each task to the best free operator that may run it:
 *
 *   may run  = meets the EU's requirements, online and qualified (stake,
 *              suspension), has a free slot, its region is not down, and has
 *              not already run this task;
 *   best     = not one that lost a lease of this task before, then a region
 *              this task has not used yet (replicas spread over regions),
 *              then the lowest load (active / granted slots), then
 *              the highest rank (reputation and stake), then the one that
 *              waited longest since its last assignment.
 *
 * A pass touches only queued tasks and free operators, so its cost follows
 * the work it does, not the size of the backlog.
 */
import { Fifo } from './fifo.js';
import { canTakeWork, replicasToAssign, type EuState, type OperatorState, type TaskState } from '../memory/index.js';

export interface SchedulerHooks {
  /** May this operator receive one more assignment now (stake, suspension, a degraded operator's allowance)? Called per
   * placement: keep it O(1). */
  qualifies(op: OperatorState): boolean;
  /** Higher is better: reputation and stake. */
  rank(op: OperatorState): number;
  /** Makes the assignment (the engine records it and updates the operator's load). */
  assign(task: TaskState, op: OperatorState): void;
}

/** Tasks a pass may set aside in one queue (every free operator already ran them) before it moves on. */
const MAX_SET_ASIDE = 256;

export function meetsRequirements(op: OperatorState, eu: EuState): boolean {
  const r = eu.manifest.requirements;
  const res = op.resources;
  if (res.cpu < r.cpu || res.memoryMb < r.memoryMb || res.gpuMemoryMb < r.gpuMemoryMb) return false;
  if (r.regions && !r.regions.includes(op.region)) return false;
  if (res.eus.length > 0 && !res.eus.includes(eu.manifest.name)) return false;
  for (const cap of r.capabilities) if (!res.capabilities.includes(cap)) return false;
  return true;
}

export class Scheduler {
  private readonly queues = new Map<string, Fifo<TaskState>>();
  private queuedCount = 0;
  /** Regions the scheduler avoids. */
  readonly downRegions = new Set<string>();
  /** Tasks queued since the last waiting check, by EU id. */
  private fresh = new Map<string, TaskState[]>();
  /** EUs whose queued tasks no online operator can run, as of the last check. */
  private readonly waitingEus = new Set<string>();

  constructor(private readonly hooks: SchedulerHooks) {}

  get queued(): number {
    return this.queuedCount;
  }

  /** Queues a task that needs assignments; `front` for work coming back from a lost lease. */
  enqueue(task: TaskState, front = false): void {
    if (task.queued) return;
    let queue = this.queues.get(task.eu.id);
    if (!queue) {
      queue = new Fifo();
      this.queues.set(task.eu.id, queue);
    }
    if (front) queue.unshift(task);
    else queue.push(task);
    task.queued = true;
    this.queuedCount += 1;
    const fresh = this.fresh.get(task.eu.id);
    if (fresh) fresh.push(task);
    else this.fresh.set(task.eu.id, [task]);
  }

  /**
   * Marks queued tasks no online operator can run (`capable` says whether one
   * can run an EU), and clears the mark when one can again: `mark` is called
   * once per change of a task, never per check. A check costs one scan of the
   * operators per queued EU (stopping at the first capable one), plus the tasks
   * queued since the last check; a whole queue is walked only when its EU
   * changes between runnable and not.
   */
  checkWaiting(capable: (eu: EuState) => boolean, mark: (task: TaskState, reason: string | null) => void): void {
    const reason = 'no_capable_operator';
    for (const [euId, queue] of this.queues) {
      if (queue.length === 0) continue;
      const was = this.waitingEus.has(euId);
      if (capable(queue.peek()!.eu)) {
        if (!was) continue;
        this.waitingEus.delete(euId);
        for (const task of queue) if (task.waiting) mark(task, null);
      } else if (!was) {
        this.waitingEus.add(euId);
        for (const task of queue) if (!task.waiting && replicasToAssign(task) > 0) mark(task, reason);
      } else {
        for (const task of this.fresh.get(euId) ?? [])
          if (task.queued && !task.waiting && replicasToAssign(task) > 0) mark(task, reason);
      }
    }
    this.fresh = new Map();
  }

  /**
   * Operators that could run `eu` now, busy or not: connected, online or degraded, qualified (stake,
   * suspension), meeting its requirements, outside a down region. What the API checks before it takes a request
   * that must be answered while the caller waits.
   */
  capable(operators: Iterable<OperatorState>, eu: EuState): number {
    let count = 0;
    for (const op of operators) {
      if (op.conn === null || (op.status !== 'online' && op.status !== 'degraded')) continue;
      if (this.downRegions.has(op.region) || !this.hooks.qualifies(op) || !meetsRequirements(op, eu)) continue;
      count += 1;
    }
    return count;
  }

  /** Queued tasks of one EU (for tests and the API). */
  queuedFor(euId: string): number {
    return this.queues.get(euId)?.length ?? 0;
  }

  /** Assigns as much queued work as free operators can take, up to `limit`. Returns the number of assignments made. */
  run(operators: Iterable<OperatorState>, limit = Infinity): number {
    if (this.queuedCount === 0) return 0;
    const free: OperatorState[] = [];
    for (const op of operators) {
      if (canTakeWork(op) && !this.downRegions.has(op.region) && this.hooks.qualifies(op)) free.push(op);
    }
    if (free.length === 0) return 0;

    const candidates = new Map<string, OperatorState[]>();
    const active: string[] = [];
    for (const [euId, queue] of this.queues) {
      if (queue.length === 0) {
        this.queues.delete(euId);
        continue;
      }
      const eu = queue.peek()!.eu;
      const eligible = free.filter((op) => meetsRequirements(op, eu));
      if (eligible.length > 0) {
        candidates.set(euId, eligible);
        active.push(euId);
      }
    }

    let made = 0;
    const ranks = new Map<OperatorState, number>();
    const rankOf = (op: OperatorState): number => {
      let r = ranks.get(op);
      if (r === undefined) {
        r = this.hooks.rank(op);
        ranks.set(op, r);
      }
      return r;
    };

    // Round-robin: one task per EU per round, until no EU can place anything (or the turn's share is made).
    while (active.length > 0 && made < limit) {
      for (let i = active.length - 1; i >= 0 && made < limit; i--) {
        const euId = active[i]!;
        const placed = this.placeOne(euId, candidates.get(euId)!, rankOf);
        if (placed) made += 1;
        else active.splice(i, 1);
      }
    }
    return made;
  }

  /** Places the first placeable task of one EU's queue; false when none can be placed now. */
  private placeOne(euId: string, eligible: OperatorState[], rankOf: (op: OperatorState) => number): boolean {
    const queue = this.queues.get(euId);
    if (!queue) return false;
    const setAside: TaskState[] = [];
    let placed = false;
    while (queue.length > 0 && setAside.length < MAX_SET_ASIDE) {
      // Drop operators that filled up during this pass (or their allowance: a degraded operator gets fewer slots).
      for (let i = eligible.length - 1; i >= 0; i--)
        if (!canTakeWork(eligible[i]!) || !this.hooks.qualifies(eligible[i]!)) eligible.splice(i, 1);
      if (eligible.length === 0) break;

      const task = queue.peek()!;
      if (replicasToAssign(task) === 0) {
        queue.shift();
        task.queued = false;
        this.queuedCount -= 1;
        continue;
      }
      const op = this.pick(task, eligible, rankOf);
      if (!op) {
        queue.shift();
        setAside.push(task);
        continue;
      }
      this.hooks.assign(task, op);
      if (replicasToAssign(task) === 0) {
        queue.shift();
        task.queued = false;
        this.queuedCount -= 1;
      }
      placed = true;
      break;
    }
    for (let i = setAside.length - 1; i >= 0; i--) queue.unshift(setAside[i]!);
    return placed;
  }

  private pick(
    task: TaskState,
    eligible: OperatorState[],
    rankOf: (op: OperatorState) => number,
  ): OperatorState | undefined {
    // Operators holding a lease or a result of this task are excluded (replicas
    // must be independent); one whose lease was lost may retry, but last.
    let usedOps: Set<string> | null = null;
    let lostOps: Set<string> | null = null;
    let usedRegions: Set<string> | null = null;
    for (const a of task.assignments) {
      if (a.status === 'expired' || a.status === 'released' || a.status === 'cancelled') {
        (lostOps ??= new Set()).add(a.operatorId);
      } else {
        (usedOps ??= new Set()).add(a.operatorId);
        (usedRegions ??= new Set()).add(a.region);
      }
    }
    // Lexicographic minimum of (lost here, region used, load, -rank, last assigned),
    // compared field by field: this loop runs over every free operator for every placement.
    let best: OperatorState | undefined;
    let bLost = 0;
    let bRegion = 0;
    let bLoad = 0;
    let bRank = 0;
    for (const op of eligible) {
      if (usedOps?.has(op.id)) continue;
      const lost = lostOps?.has(op.id) ? 1 : 0;
      const region = usedRegions?.has(op.region) ? 1 : 0;
      // Load against the grant, not the declaration: a huge declared maxConcurrent must not look idle.
      const load = op.active.size / op.slots;
      if (best) {
        if (lost !== bLost) {
          if (lost > bLost) continue;
        } else if (region !== bRegion) {
          if (region > bRegion) continue;
        } else if (load !== bLoad) {
          if (load > bLoad) continue;
        } else {
          const rank = rankOf(op);
          if (rank !== bRank) {
            if (rank < bRank) continue;
          } else if (op.lastAssignedAt >= best.lastAssignedAt) {
            continue;
          }
          best = op;
          bLost = lost;
          bRegion = region;
          bLoad = load;
          bRank = rank;
          continue;
        }
      }
      best = op;
      bLost = lost;
      bRegion = region;
      bLoad = load;
      bRank = rankOf(op);
    }
    return best;
  }
}
