/**
 * Reputation as a part of its own: each operator's decayed record, and the standing the
 * coordinator gives it from that record (slots, rank, degraded, suspended). It reacts to
 * the turn's domain facts (memory/domain-facts.ts) where they happen:
 *
 *   result accepted  completion, latency and resource use; slots refreshed
 *   lease lost       a release costs standing (checked for suspension at the end of the
 *                    turn); an expiry the operator is blamed for counts as a lost lease
 *   verdict reached  agreement and dissent (a solo task proves neither); dissenters are
 *                    checked for suspension at the end of the turn
 *   end of turn      release and dissent suspensions, stake suspensions of the slashed:
 *                    here, because suspending moves leases, which must not nest inside a
 *                    lease loss; then the records changed are written
 *   tick             uptime, health (degrade, recover, move stragglers), slots and ranks;
 *                    a sample of each operator's standing now and then (reputation-history.ts)
 */
import type { ExecutionMetrics } from '../../protocol/index.js';
import type { StakeBook } from '../economics/index.js';
import type { FlowContext } from '../lifecycle/index.js';
import { loseLease } from '../lifecycle/index.js';
import type {
  AssignmentState,
  DomainFactListener,
  LeaseLost,
  OperatorState,
  TaskState,
  Turn,
  VerdictReached,
} from '../memory/index.js';
import { assessHealth, score, shouldSuspend } from './health-policy.js';
import { degrade, recover, STAKE_SUSPENSION, suspend } from './operator-standing.js';
import { ReputationBook, UPTIME_WRITE_MS } from './reputation.js';
import { ReputationHistory, type SampleFigures } from './reputation-history.js';
import { grantedSlots, releaseSuspension } from './slot-policy.js';

/** Reputation rows are written at most this often per operator (a dissent is written at once). */
const REPUTATION_FLUSH_MS = 1000;
/** A degraded operator's lease is moved once it runs this many times the network's p95 for the EU. */
const PROACTIVE_P95_FACTOR = 2;
/** …and never sooner than this, so scheduling noise on a busy host does not move healthy work. */
const PROACTIVE_MIN_MS = 200;
/**
 * A flood of refused results or frames costs as much standing as this many
 * dropped leases: enough to sink a fresh key's lease completion and rank, a
 * dent in a long honest record.
 */
const FLOOD_PENALTY_LEASES = 10;

/** What standing needs: the lifecycles' context (suspending moves leases) and the clock. */
export interface StandingContext extends FlowContext {
  readonly now: () => number;
}

export class Standing implements DomainFactListener {
  readonly book: ReputationBook;
  private readonly history = new ReputationHistory();
  /** The operator-clock stamp of each operator's last heartbeat, and the connection it came on. */
  private readonly lastBeat = new Map<string, { connection: number; at: number }>();
  private readonly ranks = new Map<string, number>();
  private readonly degraded = new Map<string, string[]>();
  /** Operators that released leases this turn: their standing is checked at the end of the turn. */
  private releasers = new Set<string>();
  /** Operators that dissented in a verdict this turn: their standing is checked at the end of the turn. */
  private dissenters = new Set<string>();
  private lastFlush = 0;
  private lastRanks = 0;

  /** @param stakes stake weighs in the rank, and too little of it suspends. */
  constructor(
    private readonly ctx: StandingContext,
    private readonly stakes: StakeBook,
  ) {
    this.book = new ReputationBook(ctx.config.reputationHalfLifeMs);
  }

  isDegraded(operatorId: string): boolean {
    return this.degraded.has(operatorId);
  }

  /** Sets the slots the operator is granted now from its record (slot-policy.ts). O(1): runs on every result. */
  refreshSlots(op: OperatorState, now: number): void {
    op.slots = grantedSlots(op.maxConcurrent, this.book.get(op.id), this.degraded.has(op.id), now);
    // A grant that grew past its load frees a slot, for the scheduling-latency figure.
    if (op.freeSince === null && op.active.size < op.slots) op.freeSince = now;
  }

  private refreshSlotsOf(operatorId: string, now: number): void {
    const op = this.ctx.operators.get(operatorId);
    if (op) this.refreshSlots(op, now);
  }

  rank(op: OperatorState): number {
    let r = this.ranks.get(op.id);
    if (r === undefined) {
      r = this.scoreOf(op.id, this.ctx.now());
      this.ranks.set(op.id, r);
    }
    return r;
  }

  /** Drops a cached rank: the operator's stake or record changed. */
  forgetRank(operatorId: string): void {
    this.ranks.delete(operatorId);
  }

  /** The scheduler's score of an operator now (health-policy.ts). */
  scoreOf(operatorId: string, now: number): number {
    const weight = this.stakes.weight(operatorId);
    return score(this.book, this.book.get(operatorId), weight, this.degraded.has(operatorId), now);
  }

  /**
   * A heartbeat the operator stamped `sentAt` by its own clock. A gap of more
   * than 1.5 intervals between the operator's own stamps is heartbeats it
   * failed to send; gaps in arrival alone may be the coordinator's (a long
   * turn, GC) or the network's, and never count against the operator.
   * Silence itself is caught by the reaper and takes the operator offline.
   */
  heartbeat(op: OperatorState, sentAt: number, now: number): void {
    const connection = op.conn?.connectionId ?? -1;
    const previous = this.lastBeat.get(op.id);
    this.lastBeat.set(op.id, { connection, at: sentAt });
    // The gap across a reconnect is downtime, which uptime already counts.
    if (previous && previous.connection === connection && sentAt > previous.at) {
      const interval = op.heartbeatMs ?? this.ctx.config.heartbeatIntervalMs;
      this.book.heartbeat(op.id, sentAt - previous.at, interval, now);
    }
  }

  resultAccepted(turn: Turn, task: TaskState, a: AssignmentState, metrics: ExecutionMetrics): void {
    this.book.result(a.operatorId, task.eu.id, turn.now - a.leasedAt, metrics, turn.now);
    this.refreshSlotsOf(a.operatorId, turn.now);
  }

  leaseLost(turn: Turn, { assignment: a, status, blamed }: LeaseLost): void {
    if (status === 'released') {
      // Not slashed (it may be an honest give-back), but it costs standing: slots, then suspension (slot-policy.ts).
      this.book.leaseReleased(a.operatorId, turn.now);
      this.releasers.add(a.operatorId);
      this.refreshSlotsOf(a.operatorId, turn.now);
      return;
    }
    if (!blamed) return;
    // Counted at once, so an overloaded operator is seen degrading and gets fewer slots.
    this.book.leaseLost(a.operatorId, turn.now);
    this.refreshSlotsOf(a.operatorId, turn.now);
  }

  verdictReached(turn: Turn, { task, status, failure }: VerdictReached): void {
    const verdict = status === 'verified' || failure === 'eu_error';
    if (!verdict || task.solo) return;
    for (const a of task.assignments) {
      if (a.status === 'accepted') this.book.agreed(a.operatorId, turn.now);
      else if (a.status === 'rejected' && !a.undecided) {
        this.book.dissented(a.operatorId, turn.now);
        this.dissenters.add(a.operatorId);
      }
    }
  }

  /** The operator was cut off for flooding refusals (see refusal-tally.ts): it loses standing. */
  flooded(turn: Turn, op: OperatorState): void {
    this.book.leaseLost(op.id, turn.now, FLOOD_PENALTY_LEASES);
    this.ranks.delete(op.id);
    this.refreshSlotsOf(op.id, turn.now);
  }

  /**
   * The end of the turn: `beforeSuspending` runs first for each operator that dissented
   * (its solo work goes back to full replication); then dissent, release and stake
   * suspensions (of those `slashed` this turn).
   */
  endTurn(turn: Turn, slashed: ReadonlySet<string>, beforeSuspending: (turn: Turn, op: OperatorState) => void): void {
    const dissenters = this.dissenters;
    this.dissenters = new Set();
    for (const id of dissenters) {
      this.ranks.delete(id);
      const op = this.ctx.operators.get(id);
      if (!op) continue;
      beforeSuspending(turn, op);
      const why = shouldSuspend(this.book.get(id)!, this.ctx.config.suspendAfterDissents, turn.now);
      if (why) suspend(this.ctx, turn, op, why, true);
    }
    const releasers = this.releasers;
    this.releasers = new Set();
    for (const id of releasers) {
      const op = this.ctx.operators.get(id);
      const why = releaseSuspension(this.book.get(id), turn.now);
      if (op && why) suspend(this.ctx, turn, op, why, true);
    }
    if (this.stakes.minStake > 0) {
      for (const id of slashed) {
        const op = this.ctx.operators.get(id);
        if (op && !this.stakes.eligible(id)) suspend(this.ctx, turn, op, this.stakeReason(id), false);
      }
    }
  }

  stakeReason(operatorId: string): string {
    return `${STAKE_SUSPENSION}: ${this.stakes.stakeOf(operatorId)} staked, ${this.stakes.minStake} required`;
  }

  /**
   * Writes the records changed: the urgent ones (a dissent) every turn, the others at most once a
   * second, and those whose uptime alone moved once every UPTIME_WRITE_MS (reputation.ts).
   */
  flush(turn: Turn): void {
    const all = turn.now - this.lastFlush >= REPUTATION_FLUSH_MS;
    if (!all && !this.book.urgentPending) return;
    this.book.urgentPending = false;
    for (const r of this.book.all()) {
      const due = r.dirty || (r.uptimeDirty && turn.now - r.writtenAt >= UPTIME_WRITE_MS);
      if (!due || (!all && !r.urgent)) continue;
      r.dirty = false;
      r.uptimeDirty = false;
      r.urgent = false;
      r.writtenAt = turn.now;
      const figures = this.book.serialize(r);
      const row = { operatorId: r.operatorId, streak: r.streak, figures, updatedAt: turn.now };
      turn.changes.push({ op: 'reputation.upsert', row });
    }
    if (all) this.lastFlush = turn.now;
  }

  tick(turn: Turn): void {
    const now = turn.now;
    const refreshRanks = now - this.lastRanks >= REPUTATION_FLUSH_MS;
    for (const op of this.ctx.operators.values()) {
      this.book.sampleUptime(op.id, op.conn !== null, now);
      const r = this.book.get(op.id);
      if (op.conn && r && op.status !== 'suspended') {
        const health = assessHealth(this.book, r, now);
        if (health.degraded) {
          this.degraded.set(op.id, health.reasons);
          degrade(turn, op, health.reasons);
          this.moveStragglers(turn, op);
        } else if (this.degraded.delete(op.id)) {
          recover(turn, op);
        }
      } else if (!op.conn) {
        this.degraded.delete(op.id);
      }
      this.refreshSlots(op, now);
      if (refreshRanks) this.ranks.set(op.id, this.scoreOf(op.id, now));
      this.history.consider(turn, op.id, () => this.sampleOf(op, now));
    }
    if (refreshRanks) this.lastRanks = now;
    this.history.prune(turn);
  }

  /** The operator's standing as its history records it, rounded as the API shows it. */
  private sampleOf(op: OperatorState, now: number): SampleFigures {
    const r = this.book.get(op.id);
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return {
      score: round(this.scoreOf(op.id, now)),
      uptime: round(r ? this.book.uptime(r, now) : 1),
      agreement: round(r ? this.book.agreement(r, now) : 1),
      leaseCompletion: round(r ? this.book.leaseCompletion(r, now) : 1),
      stake: this.stakes.stakeOf(op.id),
      status: op.conn ? op.status : 'offline',
    };
  }

  /** Moves a degraded operator's leases that run past what the network needs for their EU. */
  private moveStragglers(turn: Turn, op: OperatorState): void {
    for (const id of [...op.active]) {
      const a = this.ctx.memory.assignments.get(id);
      const task = a ? this.ctx.memory.tasks.get(a.taskId) : undefined;
      if (!a || !task || a.status !== 'leased') continue;
      const p95 = this.book.networkP95(task.eu.id, turn.now);
      if (p95 === null) continue;
      const overdue = turn.now - a.leasedAt > Math.max(PROACTIVE_MIN_MS, PROACTIVE_P95_FACTOR * p95);
      if (overdue) loseLease(this.ctx, turn, a, 'expired', 'proactive');
    }
  }
}
