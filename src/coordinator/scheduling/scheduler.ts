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
 * the work it does, not the size of the backlog; a pass that places many
 * tasks reads them off a sorted placement order (placement-order.ts).
 */
import { Fifo } from './fifo.js';
import { bestOperator, PlacementOrder, RESORT_AFTER } from './placement-order.js';
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

/** What `pick` says when no eligible operator has a free slot left in this pass. */
const FULL = Symbol('full');

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
  /**
   * Operators that stopped qualifying during this pass (a degraded allowance used up). Only an
   * operator just given work can stop qualifying, so it is checked then, not all of them per placement.
   */
  private readonly disqualified = new Set<OperatorState>();
  /** Operators given work in this pass since its orders were last sorted (placement-order.ts). */
  private touched: OperatorState[] = [];
  /** The placement orders of this pass, one per EU with queued work. */
  private orders: PlacementOrder[] = [];
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

    let made = 0;
    this.disqualified.clear();
    this.touched = [];
    const ranks = new Map<OperatorState, number>();
    const rankOf = (op: OperatorState): number => {
      let r = ranks.get(op);
      if (r === undefined) {
        r = this.hooks.rank(op);
        ranks.set(op, r);
      }
      return r;
    };

    const candidates = new Map<string, PlacementOrder>();
    const active: string[] = [];
    for (const [euId, queue] of this.queues) {
      if (queue.length === 0) {
        this.queues.delete(euId);
        continue;
      }
      const eu = queue.peek()!.eu;
      const eligible = free.filter((op) => meetsRequirements(op, eu));
      if (eligible.length > 0) {
        candidates.set(euId, new PlacementOrder(eligible, rankOf));
        active.push(euId);
      }
    }
    this.orders = [...candidates.values()];

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

  /** Notes an operator given work in this pass; past RESORT_AFTER of them, the orders are sorted again. */
  private touch(op: OperatorState): void {
    if (!this.touched.includes(op)) this.touched.push(op);
    if (this.touched.length <= RESORT_AFTER) return;
    for (const order of this.orders) order.resort();
    this.touched = [];
  }

  /** Places the first placeable task of one EU's queue; false when none can be placed now. */
  private placeOne(euId: string, order: PlacementOrder, rankOf: (op: OperatorState) => number): boolean {
    const queue = this.queues.get(euId);
    if (!queue) return false;
    const setAside: TaskState[] = [];
    let placed = false;
    while (queue.length > 0 && setAside.length < MAX_SET_ASIDE) {
      const task = queue.peek()!;
      if (replicasToAssign(task) === 0) {
        queue.shift();
        task.queued = false;
        this.queuedCount -= 1;
        continue;
      }
      const op = this.pick(task, order, rankOf);
      // Every eligible operator filled up during this pass: nothing more of this EU goes out now.
      if (op === FULL) break;
      if (!op) {
        queue.shift();
        setAside.push(task);
        continue;
      }
      this.hooks.assign(task, op);
      // Its allowance may be used up now (a degraded operator gets fewer slots).
      if (canTakeWork(op) && !this.hooks.qualifies(op)) this.disqualified.add(op);
      this.touch(op);
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

  /**
   * The best operator for `task` in `order`; undefined when none may run it, FULL when none of them
   * has a free slot left in this pass. The order gives the best of those not yet given work in this
   * pass; those given work (`touched`) are weighed against it here. Status and connection cannot
   * change during a pass, so a free slot is the only part of `canTakeWork` to check again.
   */
  private pick(
    task: TaskState,
    order: PlacementOrder,
    rankOf: (op: OperatorState) => number,
  ): OperatorState | undefined | typeof FULL {
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
    const disqualified = this.disqualified.size > 0 ? this.disqualified : null;
    const spread = { used: usedOps, lost: lostOps, regions: usedRegions };
    const { first, anyFree } = order.scan(spread, disqualified);
    if (!anyFree) return FULL;
    const candidates: OperatorState[] = first ? [first] : [];
    for (const op of this.touched) if (meetsRequirements(op, task.eu)) candidates.push(op);
    return bestOperator(candidates, spread, disqualified, rankOf).best;
  }
}
