/**
 * Trust, as the engine sees it: one object whose hooks the task and operator flows call
 * at the points where value moves or trust changes. It decides what only it can (whose
 * fault a lost lease was, solo or replicated, semantic grouping) and states the domain
 * facts to the two parts that react to them in the same turn: economics
 * (economics/economics.ts) and reputation (reputation/standing.ts). Each hook is cheap (a
 * few map lookups and additions): they run thousands of times a second.
 *
 *   submit     economics escrows the price (or refuses, before anything is written)
 *   assign     adaptive replication decides solo or replicated (first lease only)
 *   result     reputation: completion, latency, resource use
 *   evaluate   semantic grouping for the semantic policy
 *   lose lease whose fault it was, then the fact `lease lost`: economics slashes, reputation
 *              counts; a solo task goes back to full replication
 *   finish     the fact `verdict reached`: economics settles the task at once, in the
 *              verdict's turn; reputation counts agreement and dissent
 *   end turn   economics closes the turn's one settlement entry with its events; reputation
 *              suspends (dissent, releases, stake), which must not nest inside a lease loss;
 *              balances and reputation written (receipts are built and signed on request:
 *              receipts.ts)
 *   tick       (every `trustTickMs`) payouts after unbonding, uptime, health, proactive
 *              lease moves
 */
import { CortenError, devAccount, type AccountView, type ExecutionMetrics } from '../../protocol/index.js';
import { createEmbedder, DEFAULT_SEMANTIC_THRESHOLD } from '../../runtime/index.js';
import type { Store } from '../../store/index.js';
import { Economics, type Ledger, type Settlement, type StakeBook } from '../economics/index.js';
import type {
  AssignmentState,
  DomainFactListener,
  EuState,
  OperatorState,
  TaskPayer,
  TaskState,
  Turn,
  VerdictReached,
} from '../memory/index.js';
import { reinstate, Standing, STAKE_SUSPENSION, suspend, type ReputationBook } from '../reputation/index.js';
import { AdaptiveReplication, SemanticVerifier, type Grouping, type ResultView } from '../verification/index.js';
import type { TrustContext } from './trust-context.js';

export class Trust {
  /** Ledger, settlement and stake: a part of its own, fed the domain facts. */
  readonly economics: Economics;
  /** Reputation and the standing it earns: a part of its own, fed the domain facts. */
  readonly standing: Standing;
  readonly adaptive: AdaptiveReplication;
  readonly semantic: SemanticVerifier;
  /** Leases recovered at start: lost before their operator is back, they are the coordinator's fault. */
  private readonly recoveredLeases = new Set<string>();
  private reconnectWindowEnds = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Further parts that react to the domain facts (workflows), after economics and reputation. */
  private readonly listeners: DomainFactListener[] = [];

  constructor(private readonly ctx: TrustContext) {
    const c = ctx.config;
    this.economics = new Economics({
      slashDissent: c.slashDissent,
      slashExpiry: c.slashExpiry,
      minStake: c.minStake,
      unbondingMs: c.unbondingMs,
    });
    this.standing = new Standing(ctx, this.economics.stakes);
    this.adaptive = new AdaptiveReplication({
      enabled: c.adaptiveReplication,
      minStreak: c.trustStreak,
      spotCheckRate: c.spotCheckRate,
    });
    this.semantic = new SemanticVerifier(
      () => createEmbedder(c.embedder),
      async (taskId) => (await ctx.store.getTaskInputs([taskId])).get(taskId) ?? null,
    );
  }

  /** Rebuilds balances, pending withdrawals and reputation from the store (at start). */
  async load(store: Store, now: number): Promise<void> {
    await this.economics.load(store);
    for (const row of await store.trust.loadReputation()) {
      this.reputation.restore(row.operatorId, row.streak, row.figures, now);
    }
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

  /** Adds a part that reacts to verdicts and lost leases in the turn that states them. */
  listen(listener: DomainFactListener): void {
    this.listeners.push(listener);
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
    return this.standing.isDegraded(operatorId);
  }

  /** May this operator get one more assignment now? Eligible (its slots are `op.slots`, which the scheduler checks). */
  qualifies(op: OperatorState): boolean {
    return this.eligible(op.id);
  }

  refreshSlots(op: OperatorState, now: number): void {
    this.standing.refreshSlots(op, now);
  }

  rank(op: OperatorState): number {
    return this.standing.rank(op);
  }

  scoreOf(operatorId: string, now: number): number {
    return this.standing.scoreOf(operatorId, now);
  }

  heartbeat(op: OperatorState, sentAt: number, now: number): void {
    this.standing.heartbeat(op, sentAt, now);
  }

  // ---- task hooks -----------------------------------------------------------------

  escrow(turn: Turn, eu: EuState, accountId: string | null, count: number): TaskPayer | null {
    return this.economics.escrow(turn, eu, accountId, count);
  }

  /** Reserves escrow for a job's steps (see settlement.ts); throws INSUFFICIENT_BALANCE, writing nothing. */
  reserve(turn: Turn, accountId: string, amount: number, tasks: number): string {
    return this.economics.settlement.reserve(turn.changes, turn.now, accountId, amount, tasks);
  }

  release(turn: Turn, accountId: string, amount: number, jobId: string): void {
    this.economics.settlement.release(accountId, amount, jobId);
  }

  /** An account's spendable balance. */
  balance(accountId: string): number {
    return this.ledger.balance(devAccount(accountId));
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
    this.recoveredLeases.delete(a.id);
    this.standing.resultAccepted(turn, task, a, metrics);
  }

  group(task: TaskState, results: readonly ResultView[]): Promise<Grouping> {
    const v = task.eu.manifest.verification;
    const threshold = v.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
    const settings = { threshold, dissentBelow: v.dissentBelow ?? threshold, facts: v.facts ?? null };
    return this.semantic.group(task, results, settings);
  }

  /** A lease ended without a result. Runs before the task is requeued. */
  leaseLost(turn: Turn, task: TaskState, a: AssignmentState, status: 'expired' | 'released', reason: string): void {
    if (task.solo) this.unsolo(task);
    const recovered = this.recoveredLeases.delete(a.id);
    // The coordinator's own gaps (a restart, and the reconnect window after it) are nobody else's fault.
    const blamed = !(reason === 'coordinator_restart' || (recovered && turn.now <= this.reconnectWindowEnds));
    const fact = { task, assignment: a, status, reason, blamed };
    this.economics.leaseLost(turn, fact);
    this.standing.leaseLost(turn, fact);
    for (const l of this.listeners) l.leaseLost?.(turn, fact);
  }

  /** The operator was cut off for flooding refusals (see refusal-tally.ts): it loses standing. */
  flooded(turn: Turn, op: OperatorState): void {
    this.standing.flooded(turn, op);
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
    this.standing.verdictReached(turn, fact);
    for (const l of this.listeners) l.verdictReached?.(turn, fact);
    if (task.eu.manifest.verification.policy === 'semantic') this.semantic.forget(task);
  }

  // ---- end of turn ------------------------------------------------------------------

  endTurn(turn: Turn): void {
    // Every verified task (and every eu_error verdict) has a receipt at GET /v1/tasks/:id/receipt;
    // it is built and signed on request, so the verdict's own event is its announcement.
    const closed = this.economics.closeTurn(turn);
    this.standing.endTurn(turn, closed.slashed, (t, op) => this.unsoloWorkOf(t, op));
    this.economics.flush(turn);
    this.standing.flush(turn);
  }

  /** A dissenter's solo tasks in flight go back to full replication. */
  private unsoloWorkOf(turn: Turn, op: OperatorState): void {
    for (const id of op.active) {
      const a = this.ctx.memory.assignments.get(id);
      const task = a ? this.ctx.memory.tasks.get(a.taskId) : undefined;
      if (task?.solo) {
        this.unsolo(task);
        turn.dirtyTasks.add(task);
        this.ctx.scheduler.enqueue(task, true);
      }
    }
  }

  // ---- the tick ------------------------------------------------------------------------

  tick(turn: Turn): void {
    this.economics.tick(turn);
    this.standing.tick(turn);
  }

  // ---- admin operations (run inside engine commands) ----------------------------------------

  deposit(turn: Turn, accountId: string, amount: number): string {
    return this.economics.deposit(turn, accountId, amount);
  }

  stake(turn: Turn, operatorId: string, amount: number): string {
    const entryId = this.stakes.deposit(turn.changes, turn.now, operatorId, amount);
    const op = this.ctx.operators.get(operatorId);
    const stakeSuspended = op?.status === 'suspended' && op.statusReason?.startsWith(STAKE_SUSPENSION);
    if (op && stakeSuspended && this.stakes.eligible(operatorId)) reinstate(turn, op);
    this.standing.forgetRank(operatorId);
    return entryId;
  }

  unstake(turn: Turn, operatorId: string, amount: number): { availableAt: number } {
    const row = this.stakes.requestWithdrawal(turn.changes, turn.now, operatorId, amount);
    const op = this.ctx.operators.get(operatorId);
    if (op && this.stakes.minStake > 0 && !this.stakes.eligible(operatorId)) {
      suspend(this.ctx, turn, op, this.standing.stakeReason(operatorId), false);
    }
    this.standing.forgetRank(operatorId);
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
      const staked = this.stakes.stakeOf(operatorId);
      throw new CortenError(
        'INSUFFICIENT_STAKE',
        `operator ${operatorId} has ${staked} staked; it needs ${this.stakes.minStake} before it can work again`,
      );
    }
    reinstate(turn, op);
  }

  // ---- views -------------------------------------------------------------------------------

  accountView(row: { id: string; name: string; createdAt: number }): AccountView {
    return this.economics.accountView(row);
  }

  get reputation(): ReputationBook {
    return this.standing.book;
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
