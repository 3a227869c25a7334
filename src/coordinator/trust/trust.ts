/**
 * Trust and economics, as the engine sees them: one object whose hooks the
 * task and operator flows call at the points where value moves or trust
 * changes. Each hook is cheap (a few map lookups and additions): they run
 * thousands of times a second.
 *
 *   submit     escrow the price (or refuse, before anything is written): economics
 *   assign     adaptive replication decides solo or replicated (first lease only)
 *   result     reputation: completion, latency, resource use
 *   evaluate   semantic grouping for the semantic policy
 *   lose lease whose fault it was; then the fact `lease lost` goes to economics (slash)
 *              and reputation; solo → replicated
 *   finish     the fact `verdict reached`: economics settles the task at once, in the
 *              verdict's turn; reputation counts agreement and dissent
 *   end turn   one settlement entry for the turn's movements, with its events; what
 *              must not nest inside a lease loss (dissent and release suspensions,
 *              stake suspensions); balances and reputation written (receipts are
 *              built and signed on request: receipts.ts)
 *   tick       (every `trustTickMs`) payouts after unbonding, uptime, health,
 *              proactive lease moves, reputation written
 *
 * Economics (economics/economics.ts) is a part of its own that reacts to the domain
 * facts; reputation's reactions are still here (issue 9).
 */
import { CortenError, type AccountView, type ExecutionMetrics } from '../../protocol/index.js';
import { createEmbedder, DEFAULT_SEMANTIC_THRESHOLD } from '../../runtime/index.js';
import type { Store } from '../../store/index.js';
import { AdaptiveReplication } from '../verification/index.js';
import type { TrustContext } from './trust-context.js';
import { assessHealth, score, shouldSuspend } from '../reputation/index.js';
import { Economics, type Ledger } from '../economics/index.js';
import { degrade, recover, reinstate, STAKE_SUSPENSION, suspend } from '../reputation/index.js';
import { ReputationBook } from '../reputation/index.js';
import { SemanticVerifier, type Grouping } from '../verification/index.js';
import { grantedSlots, releaseSuspension } from '../reputation/index.js';
import type { Settlement, StakeBook } from '../economics/index.js';
import type {
  AssignmentState, EuState, OperatorState, TaskPayer, TaskState, VerdictReached,
} from '../memory/index.js';
import { loseLease } from '../lifecycle/index.js';
import type { Turn } from '../memory/index.js';
import type { ResultView } from '../verification/index.js';

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

export class Trust {
  /** Ledger, settlement and stake: a part of its own, fed the domain facts. */
  readonly economics: Economics;
  readonly reputation: ReputationBook;
  readonly adaptive: AdaptiveReplication;
  readonly semantic: SemanticVerifier;
  /** The operator-clock stamp of each operator's last heartbeat, and the connection it came on. */
  private readonly lastBeat = new Map<string, { connection: number; at: number }>();
  private readonly ranks = new Map<string, number>();
  private readonly degraded = new Map<string, string[]>();
  /** Operators that released leases this turn: their standing is checked at the end of the turn. */
  private releasers = new Set<string>();
  /** Operators that dissented in a verdict this turn: their standing is checked at the end of the turn. */
  private dissenters = new Set<string>();
  /** Leases recovered at start: lost before their operator is back, they are the coordinator's fault. */
  private readonly recoveredLeases = new Set<string>();
  private reconnectWindowEnds = 0;
  private lastFlush = 0;
  private lastRanks = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: TrustContext) {
    const c = ctx.config;
    this.economics = new Economics({
      slashDissent: c.slashDissent, slashExpiry: c.slashExpiry, minStake: c.minStake, unbondingMs: c.unbondingMs,
    });
    this.reputation = new ReputationBook(c.reputationHalfLifeMs);
    this.adaptive = new AdaptiveReplication({ enabled: c.adaptiveReplication, minStreak: c.trustStreak, spotCheckRate: c.spotCheckRate });
    this.semantic = new SemanticVerifier(
      () => createEmbedder(c.embedder),
      async (taskId) => (await ctx.store.getTaskInputs([taskId])).get(taskId) ?? null,
    );
  }

  /** Rebuilds balances, pending withdrawals and reputation from the store (at start). */
  async load(store: Store, now: number): Promise<void> {
    await this.economics.load(store);
    for (const row of await store.trust.loadReputation()) this.reputation.restore(row.operatorId, row.streak, row.figures, now);
    if (this.ctx.config.embedder === 'word-vectors') await this.semantic.embedderNow();
  }

  /** After recovery: the leases held across the restart are blameless until their operators had time to come back. */
  markRecovered(now: number): void {
    for (const a of this.ctx.memory.assignments.values()) if (a.status === 'leased') this.recoveredLeases.add(a.id);
    this.reconnectWindowEnds = now + this.ctx.config.reconnectGraceMs;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.ctx.command((turn) => this.tick(turn)).catch(() => {});
    }, this.ctx.config.trustTickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  // ---- scheduler hooks ----------------------------------------------------------

  /**
   * The one definition of "eligible for work", used by the scheduler and
   * by every view that reports it: staked to the minimum and not suspended.
   */
  eligible(operatorId: string): boolean {
    return this.ctx.operators.get(operatorId)?.status !== 'suspended' && this.stakes.eligible(operatorId);
  }

  isDegraded(operatorId: string): boolean {
    return this.degraded.has(operatorId);
  }

  /** May this operator get one more assignment now? Eligible (its slots are `op.slots`, which the scheduler checks). */
  qualifies(op: OperatorState): boolean {
    return this.eligible(op.id);
  }

  /** Sets the slots the operator is granted now from its record (slot-policy.ts). O(1): runs on every result. */
  refreshSlots(op: OperatorState, now: number): void {
    op.slots = grantedSlots(op.maxConcurrent, this.reputation.get(op.id), this.degraded.has(op.id), now);
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

  /** The scheduler's score of an operator now (health-policy.ts). */
  scoreOf(operatorId: string, now: number): number {
    return score(this.reputation, this.reputation.get(operatorId), this.stakes.weight(operatorId), this.degraded.has(operatorId), now);
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
      this.reputation.heartbeat(op.id, sentAt - previous.at, this.ctx.config.heartbeatIntervalMs, now);
    }
  }

  // ---- task hooks -----------------------------------------------------------------

  escrow(turn: Turn, eu: EuState, accountId: string | null, count: number): TaskPayer | null {
    return this.economics.escrow(turn, eu, accountId, count);
  }

  taskCreated(turn: Turn, task: TaskState, payer: TaskPayer | null): void {
    task.solo = false;
    this.economics.taskCreated(turn, task, payer);
  }

  /** Called for a task's very first lease: adaptive replication may let `op` run it alone. */
  firstLease(task: TaskState, op: OperatorState): void {
    if (!this.adaptive.options.enabled || task.quorum < 2 || task.eu.manifest.verification.policy === 'none') return;
    const r = this.reputation.get(op.id);
    if (!r || op.status !== 'online') return;
    if (this.adaptive.decide(r.streak, r.dissent.value(this.ctx.now())) !== 'solo') return;
    task.quorum = 1;
    task.replicas = 1;
    task.solo = true;
  }

  result(turn: Turn, task: TaskState, a: AssignmentState, metrics: ExecutionMetrics): void {
    this.reputation.result(a.operatorId, task.eu.id, turn.now - a.leasedAt, metrics, turn.now);
    this.recoveredLeases.delete(a.id);
    this.refreshSlotsOf(a.operatorId, turn.now);
  }

  group(task: TaskState, results: readonly ResultView[]): Promise<Grouping> {
    const v = task.eu.manifest.verification;
    const threshold = v.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
    return this.semantic.group(task, results, { threshold, dissentBelow: v.dissentBelow ?? threshold, facts: v.facts ?? null });
  }

  /** A lease ended without a result. Runs before the task is requeued. */
  leaseLost(turn: Turn, task: TaskState, a: AssignmentState, status: 'expired' | 'released', reason: string): void {
    if (task.solo) this.unsolo(task);
    const recovered = this.recoveredLeases.delete(a.id);
    const blamed = !(reason === 'coordinator_restart' || (recovered && turn.now <= this.reconnectWindowEnds));
    this.economics.leaseLost(turn, { task, assignment: a, status, reason, blamed });
    if (status === 'released') {
      // Not slashed (it may be an honest give-back), but it costs standing: slots, then suspension (slot-policy.ts).
      this.reputation.leaseReleased(a.operatorId, turn.now);
      this.releasers.add(a.operatorId);
      this.refreshSlotsOf(a.operatorId, turn.now);
      return;
    }
    if (!blamed) return;
    // Counted at once, so an overloaded operator is seen degrading and gets fewer slots.
    this.reputation.leaseLost(a.operatorId, turn.now);
    this.refreshSlotsOf(a.operatorId, turn.now);
  }

  /** The operator was cut off for flooding refusals (see refusal-tally.ts): it loses standing. */
  flooded(turn: Turn, op: OperatorState): void {
    this.reputation.leaseLost(op.id, turn.now, FLOOD_PENALTY_LEASES);
    this.ranks.delete(op.id);
    this.refreshSlotsOf(op.id, turn.now);
  }

  /** Back to full replication (its solo lease was lost, or its operator dissented elsewhere). */
  private unsolo(task: TaskState): void {
    const base = task.eu.manifest.verification.quorum;
    task.solo = false;
    task.quorum = base;
    task.replicas = Math.max(task.replicas, base);
  }

  /** The fact `verdict reached`: settled at once, in the verdict's own turn; agreement and dissent counted. */
  finish(turn: Turn, task: TaskState, status: 'verified' | 'failed', failure: string | null): void {
    const fact: VerdictReached = { task, status, failure };
    this.economics.verdictReached(turn, fact);
    this.countVerdict(turn, fact);
    if (task.eu.manifest.verification.policy === 'semantic') this.semantic.forget(task);
  }

  /** Reputation's reaction to a verdict: agreement and dissent (a solo task proves neither). */
  private countVerdict(turn: Turn, { task, status, failure }: VerdictReached): void {
    const verdict = status === 'verified' || failure === 'eu_error';
    if (!verdict || task.solo) return;
    for (const a of task.assignments) {
      if (a.status === 'accepted') this.reputation.agreed(a.operatorId, turn.now);
      else if (a.status === 'rejected' && !a.undecided) {
        this.reputation.dissented(a.operatorId, turn.now);
        this.dissenters.add(a.operatorId);
      }
    }
  }

  // ---- end of turn ------------------------------------------------------------------

  endTurn(turn: Turn): void {
    // Every verified task (and every eu_error verdict) has a receipt at GET /v1/tasks/:id/receipt;
    // it is built and signed on request, so the verdict's own event is its announcement.
    const closed = this.economics.closeTurn(turn);
    const dissenters = this.dissenters;
    this.dissenters = new Set();
    for (const id of dissenters) this.afterDissent(turn, id);
    // Checked here, not inside the release: suspending moves the operator's other leases,
    // which must not nest inside a lease loss.
    const releasers = this.releasers;
    this.releasers = new Set();
    for (const id of releasers) {
      const op = this.ctx.operators.get(id);
      const why = releaseSuspension(this.reputation.get(id), turn.now);
      if (op && why) suspend(this.ctx, turn, op, why, true);
    }
    if (this.stakes.minStake > 0) {
      for (const id of closed.slashed) {
        const op = this.ctx.operators.get(id);
        if (op && !this.stakes.eligible(id)) suspend(this.ctx, turn, op, this.stakeReason(id), false);
      }
    }
    this.economics.flush(turn);
    this.flushReputation(turn, turn.now - this.lastFlush >= REPUTATION_FLUSH_MS);
  }

  private stakeReason(operatorId: string): string {
    return `${STAKE_SUSPENSION}: ${this.stakes.stakeOf(operatorId)} staked, ${this.stakes.minStake} required`;
  }

  /** Any dissent: its solo tasks in flight go back to full replication; repeated dissent suspends it. */
  private afterDissent(turn: Turn, operatorId: string): void {
    this.ranks.delete(operatorId);
    const op = this.ctx.operators.get(operatorId);
    if (!op) return;
    for (const id of op.active) {
      const a = this.ctx.memory.assignments.get(id);
      const task = a ? this.ctx.memory.tasks.get(a.taskId) : undefined;
      if (task?.solo) {
        this.unsolo(task);
        turn.dirtyTasks.add(task);
        this.ctx.scheduler.enqueue(task, true);
      }
    }
    const why = shouldSuspend(this.reputation.get(operatorId)!, this.ctx.config.suspendAfterDissents, turn.now);
    if (why) suspend(this.ctx, turn, op, why, true);
  }

  private flushReputation(turn: Turn, all: boolean): void {
    for (const r of this.reputation.all()) {
      if (!r.dirty || (!all && !r.urgent)) continue;
      r.dirty = false;
      r.urgent = false;
      turn.changes.push({ op: 'reputation.upsert', row: { operatorId: r.operatorId, streak: r.streak, figures: this.reputation.serialize(r), updatedAt: turn.now } });
    }
    if (all) this.lastFlush = turn.now;
  }

  // ---- the tick ------------------------------------------------------------------------

  tick(turn: Turn): void {
    const now = turn.now;
    this.economics.tick(turn);
    const refreshRanks = now - this.lastRanks >= REPUTATION_FLUSH_MS;
    for (const op of this.ctx.operators.values()) {
      this.reputation.sampleUptime(op.id, op.conn !== null, now);
      const r = this.reputation.get(op.id);
      if (op.conn && r && op.status !== 'suspended') {
        const health = assessHealth(this.reputation, r, now);
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
    }
    if (refreshRanks) this.lastRanks = now;
  }

  /** Moves a degraded operator's leases that run past what the network needs for their EU. */
  private moveStragglers(turn: Turn, op: OperatorState): void {
    for (const id of [...op.active]) {
      const a = this.ctx.memory.assignments.get(id);
      const task = a ? this.ctx.memory.tasks.get(a.taskId) : undefined;
      if (!a || !task || a.status !== 'leased') continue;
      const p95 = this.reputation.networkP95(task.eu.id, turn.now);
      if (p95 === null) continue;
      if (turn.now - a.leasedAt > Math.max(PROACTIVE_MIN_MS, PROACTIVE_P95_FACTOR * p95)) loseLease(this.ctx, turn, a, 'expired', 'proactive');
    }
  }

  // ---- admin operations (run inside engine commands) ----------------------------------------

  deposit(turn: Turn, accountId: string, amount: number): string {
    return this.economics.deposit(turn, accountId, amount);
  }

  stake(turn: Turn, operatorId: string, amount: number): string {
    const entryId = this.stakes.deposit(turn.changes, turn.now, operatorId, amount);
    const op = this.ctx.operators.get(operatorId);
    if (op?.status === 'suspended' && op.statusReason?.startsWith(STAKE_SUSPENSION) && this.stakes.eligible(operatorId)) reinstate(turn, op);
    this.ranks.delete(operatorId);
    return entryId;
  }

  unstake(turn: Turn, operatorId: string, amount: number): { availableAt: number } {
    const row = this.stakes.requestWithdrawal(turn.changes, turn.now, operatorId, amount);
    const op = this.ctx.operators.get(operatorId);
    if (op && this.stakes.minStake > 0 && !this.stakes.eligible(operatorId)) suspend(this.ctx, turn, op, this.stakeReason(operatorId), false);
    this.ranks.delete(operatorId);
    return { availableAt: row.availableAt };
  }

  payEarnings(turn: Turn, operatorId: string, amount: number): string {
    return this.economics.payEarnings(turn, operatorId, amount);
  }

  /** An admin lifts a suspension (for dissent, say, once the operator fixed its machine). */
  reinstate(turn: Turn, operatorId: string): void {
    const op = this.ctx.operators.get(operatorId);
    if (!op) throw new CortenError('OPERATOR_NOT_FOUND', `no operator ${operatorId}`);
    if (!this.stakes.eligible(operatorId)) {
      throw new CortenError('INSUFFICIENT_STAKE', `operator ${operatorId} has ${this.stakes.stakeOf(operatorId)} staked; it needs ${this.stakes.minStake} before it can work again`);
    }
    reinstate(turn, op);
  }

  // ---- views -------------------------------------------------------------------------------

  accountView(row: { id: string; name: string; createdAt: number }): AccountView {
    return this.economics.accountView(row);
  }

  get ledger(): Ledger {
    return this.economics.ledger;
  }

  get settlement(): Settlement {
    return this.economics.settlement;
  }

  get stakes(): StakeBook {
    return this.economics.stakes;
  }
}
