/**
 * The free operators that may run one EU, for one scheduling pass, in the order placement prefers
 * them: lowest load (active / granted slots), then highest rank, then longest since their last
 * assignment. Sorted once a pass, so a placement reads a few operators from the front instead of
 * comparing every free one: on a network of 5,000 mostly idle operators that was most of the
 * scheduler's time.
 *
 * An operator given work during the pass has a new load and a new last-assignment time, so its
 * place in the order is stale: `scan` skips it (its load as sorted no longer matches), and the
 * scheduler weighs it separately, from the pass's short list of operators it gave work to. Once
 * that list grows past RESORT_AFTER the orders are sorted again and the list starts afresh.
 *
 * A pass that places only a few tasks would pay more for the sort than it saves, so the first
 * LINEAR_PICKS placements from an order compare every operator, as the order would, and only an
 * order that goes on placing sorts.
 */
import type { OperatorState } from '../memory/index.js';

/** Operators given work in one pass before the pass's orders are sorted again. */
export const RESORT_AFTER = 256;
/** Placements from one order made by comparing every operator before it sorts (a sort costs ~log2 n of them). */
const LINEAR_PICKS = 12;

/** What a task excludes or prefers to avoid among operators. */
export interface TaskSpread {
  /** Operators holding a lease or a result of the task: never again. */
  used: Set<string> | null;
  /** Operators that lost a lease of it: last resort. */
  lost: Set<string> | null;
  /** Regions its live replicas are in: avoided while another is free. */
  regions: Set<string> | null;
}

export class PlacementOrder {
  private order: OperatorState[] = [];
  /** Active leases and slots of each operator in `order` when it was sorted. */
  private sizes = new Int32Array(0);
  private slots = new Int32Array(0);
  private sorted = false;
  private picks = 0;

  constructor(
    readonly eligible: readonly OperatorState[],
    private readonly rankOf: (op: OperatorState) => number,
  ) {}

  /** Sorts again, if it was sorted: an order still comparing every operator reads their loads as they are. */
  resort(): void {
    if (this.sorted) this.sort();
  }

  private sort(): void {
    this.sorted = true;
    const n = this.eligible.length;
    const load = new Float64Array(n);
    const rank = new Float64Array(n);
    const index = Array.from({ length: n }, (_, i) => i);
    this.eligible.forEach((op, i) => {
      load[i] = op.active.size / op.slots;
      rank[i] = this.rankOf(op);
    });
    const ops = this.eligible;
    index.sort((a, b) => load[a]! - load[b]! || rank[b]! - rank[a]! || ops[a]!.lastAssignedAt - ops[b]!.lastAssignedAt);
    this.order = index.map((i) => ops[i]!);
    this.sizes = Int32Array.from(this.order, (op) => op.active.size);
    this.slots = Int32Array.from(this.order, (op) => op.slots);
  }

  /**
   * The operator this order puts first for a task, among those not given work since the sort:
   * the first one of the best tier (not lost here and region unused, then region used, then lost
   * here, then both). `anyFree`: some operator of the order (touched or not) has a free slot.
   */
  scan(
    spread: TaskSpread,
    disqualified: ReadonlySet<OperatorState> | null,
  ): { first?: OperatorState; anyFree: boolean } {
    if (!this.sorted && ++this.picks <= LINEAR_PICKS) return this.linear(spread, disqualified);
    if (!this.sorted) this.sort();
    const tiers: (OperatorState | undefined)[] = [undefined, undefined, undefined, undefined];
    let anyFree = false;
    for (let i = 0; i < this.order.length; i++) {
      const op = this.order[i]!;
      const size = op.active.size;
      if (size >= op.slots || disqualified?.has(op)) continue;
      anyFree = true;
      if (size !== this.sizes[i] || op.slots !== this.slots[i]) continue;
      if (spread.used?.has(op.id)) continue;
      const tier = (spread.lost?.has(op.id) ? 2 : 0) + (spread.regions?.has(op.region) ? 1 : 0);
      if (tiers[tier] === undefined) {
        tiers[tier] = op;
        if (tier === 0) break;
      }
    }
    return { first: tiers.find((op) => op !== undefined), anyFree };
  }

  /** The same choice, by comparing every operator (touched ones too, at their loads now). */
  private linear(
    spread: TaskSpread,
    disqualified: ReadonlySet<OperatorState> | null,
  ): { first?: OperatorState; anyFree: boolean } {
    const { best, anyFree } = bestOperator(this.eligible, spread, disqualified, this.rankOf);
    return { first: best, anyFree };
  }
}

/**
 * The lexicographic minimum of (lost here, region used, load, -rank, last assigned) among `ops`
 * that have a free slot, are not disqualified and have not run the task; `anyFree` says whether
 * any of them had a free slot at all. Compared field by field: rank only on a tie of load.
 */
export function bestOperator(
  ops: Iterable<OperatorState>,
  spread: TaskSpread,
  disqualified: ReadonlySet<OperatorState> | null,
  rankOf: (op: OperatorState) => number,
): { best?: OperatorState; anyFree: boolean } {
  let best: OperatorState | undefined;
  let bTier = 0;
  let bLoad = 0;
  let bRank = 0;
  let anyFree = false;
  for (const op of ops) {
    if (op.active.size >= op.slots || disqualified?.has(op)) continue;
    anyFree = true;
    if (spread.used?.has(op.id)) continue;
    const tier = (spread.lost?.has(op.id) ? 2 : 0) + (spread.regions?.has(op.region) ? 1 : 0);
    // Load against the grant, not the declaration: a huge declared maxConcurrent must not look idle.
    const load = op.active.size / op.slots;
    if (best) {
      if (tier !== bTier) {
        if (tier > bTier) continue;
      } else if (load !== bLoad) {
        if (load > bLoad) continue;
      } else {
        const rank = rankOf(op);
        if (rank < bRank || (rank === bRank && op.lastAssignedAt >= best.lastAssignedAt)) continue;
      }
    }
    best = op;
    bTier = tier;
    bLoad = load;
    bRank = rankOf(op);
  }
  return { best, anyFree };
}
