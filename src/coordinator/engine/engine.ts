/**
 * The engine: the coordinator's single writer.
 *
 * Everything that changes state (a submission, a result, an operator joining
 * or falling silent, a lease running out) arrives as a command in the inbox.
 * The loop takes every command that has arrived, applies them to memory,
 * lets the scheduler place queued work, commits all resulting writes and
 * events in one transaction, and only then sends frames and answers callers.
 *
 *   I/O callbacks ──enqueue──▶ inbox ──turn──▶ memory + ChangeSet ──commit──▶ effects
 *
 * Under load a turn carries hundreds of commands, so writes are batched by
 * construction; when idle a turn carries one and adds one event-loop hop.
 * The database is the truth: if a commit fails, memory may be ahead of it,
 * so the engine stops (`fatal`) and a restart rebuilds memory from the store.
 * A stale lease fence (STALE_FENCE: an assignment row no longer at the
 * attempt and status memory holds) fails the commit the same way: under a
 * single writer it means memory and store disagree, and with several
 * coordinators it would mean another one wrote; either way this one must
 * stop writing. The commands of the refused turn and of the inbox fail.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  coerceError,
  CortenError,
  type CortenEvent,
  type HelloMessage,
  type ResultItem,
  type UpgradeWorkflowResponse,
} from '../../protocol/index.js';
import type { Store } from '../../store/index.js';
import { offlineAfterMs, type CoordinatorConfig } from '../config/index.js';
import type { EventBus } from './event-bus.js';
import type {
  AssignmentState,
  EuRegistry,
  EuState,
  OperatorConnection,
  OperatorState,
  TaskState,
} from '../memory/index.js';
import { CoordinatorMetrics } from './metrics.js';
import { type NewInput, operatorFlow, RegionWatch, startLeases, taskFlow } from '../lifecycle/index.js';
import { meetsRequirements, Scheduler } from '../scheduling/index.js';
import { RefusalTally } from './refusal-tally.js';
import { eventOwner, NETWORK_OWNER } from '../economics/index.js';
import { acceptResults, type UnreadableResult } from '../verification/index.js';
import { queueStandingNotices, Trust } from '../trust/index.js';
import { TaskMemory, Turn } from '../memory/index.js';
import { WebhookRegistry } from '../webhooks/index.js';
import { Workflows, type WorkflowEntry } from '../workflows/index.js';

interface Command {
  run(turn: Turn): void | Promise<void>;
  fail?(error: CortenError): void;
  /** Work it brings to a turn (results it carries); 1 when absent. */
  weight?: number;
}

/**
 * Work one turn takes on: result items, plus one for any other command.
 * Bounded turns keep a burst from stalling the loop: heartbeats are read, the
 * reaper runs and assignments go out every few tens of milliseconds, whatever
 * the backlog.
 */
const TURN_BUDGET = 600;
/**
 * How often queued tasks are checked for an EU no online operator can run. A fifth of a
 * second is prompt for a person watching a job, and keeps the check off every busy turn.
 */
const WAITING_CHECK_MS = 200;
/** Assignments one turn makes at most; the next turn carries on. */
const TURN_ASSIGNMENTS = 1000;
/**
 * Admission: results waiting in the inbox beyond which a turn hands out no new lease. Four turns'
 * budget waiting means the engine is well behind what its operators produce: a lease granted now
 * would only wait longer for its result to be read. The work stays queued (durably `pending`) and
 * goes out once the engine has caught up, so the leases out stay what the engine can take back in
 * time, and an offered rate above capacity queues instead of piling up unread results. (A lease is
 * not lost to that backlog either way: the reaper judges at a time every queued result precedes.)
 * Lower, it holds back a burst the engine would have caught up with (a quorum-3 burst of results
 * from 200 operators passes one turn's budget at once), and throughput falls.
 */
const ADMIT_BELOW_PENDING_RESULTS = 4 * TURN_BUDGET;

export interface EngineDeps {
  store: Store;
  config: CoordinatorConfig;
  bus: EventBus;
  eus: EuRegistry;
  log: Logger;
  coordinatorId: string;
  /** The clock; tests may pass a fake one. */
  now?: () => number;
  metrics?: CoordinatorMetrics;
}

export class Engine extends EventEmitter {
  readonly store: Store;
  readonly config: CoordinatorConfig;
  readonly bus: EventBus;
  readonly eus: EuRegistry;
  readonly log: Logger;
  readonly coordinatorId: string;
  readonly now: () => number;

  /** Open tasks, their assignments and the inputs held for them. */
  readonly memory: TaskMemory;
  readonly operators = new Map<string, OperatorState>();
  readonly scheduler: Scheduler;
  readonly regions: RegionWatch;
  /** Trust and economics: ledger, stake, reputation, adaptive replication, semantic verification. */
  readonly trust: Trust;
  readonly metrics: CoordinatorMetrics;
  /** Refused results and frames, counted per operator and reason. */
  readonly refusals = new RefusalTally();
  /** Operators' webhooks: each turn's alerts become pending deliveries in its commit. */
  readonly webhooks: WebhookRegistry;
  /** Workflow versions and running jobs; reacts to verdicts on step tasks. */
  readonly workflows: Workflows;

  private inbox: Command[] = [];
  /** Result items queued in the inbox and not yet taken in (admission, above). */
  private pendingResults = 0;
  private turnScheduled = false;
  private turning = false;
  private current: Turn | null = null;
  private lastTurnEnd = 0;
  private lastWaitingCheck = 0;
  private stopped = false;
  /** What a command is told once the engine has stopped; default SHUTTING_DOWN. */
  private refusal: (() => CortenError) | null = null;
  private idleWaiters: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(deps: EngineDeps) {
    super();
    this.store = deps.store;
    this.config = deps.config;
    this.bus = deps.bus;
    this.eus = deps.eus;
    this.log = deps.log;
    this.coordinatorId = deps.coordinatorId;
    this.now = deps.now ?? Date.now;
    this.metrics = deps.metrics ?? new CoordinatorMetrics();
    this.memory = new TaskMemory(deps.config.inputCacheBytes);
    this.trust = new Trust(this);
    this.webhooks = new WebhookRegistry(deps.config.webhooksPerOperator);
    this.workflows = new Workflows(this);
    this.trust.listen(this.workflows);
    this.scheduler = new Scheduler({
      qualifies: (op) => this.trust.qualifies(op),
      rank: (op) => this.trust.rank(op),
      assign: (task, op) => {
        taskFlow.assign(this, this.turn, task, op);
        this.workflows.taskAssigned(this.turn, task);
      },
    });
    this.regions = new RegionWatch(this);
  }

  /** Open tasks (not yet verified or failed). */
  get tasks(): Map<string, TaskState> {
    return this.memory.tasks;
  }

  /** Assignments of open tasks. */
  get assignments(): Map<string, AssignmentState> {
    return this.memory.assignments;
  }

  /** The turn being applied; only valid inside a command. */
  get turn(): Turn {
    if (!this.current) throw new Error('engine state may change only inside a turn');
    return this.current;
  }

  get offlineAfterMs(): number {
    return offlineAfterMs(this.config);
  }

  /**
   * Starts the periodic commands: the lease reaper and the liveness mark. Each reaper pass judges at
   * the time the previous one was queued (operator-flow.ts `reap`): whatever had arrived by then has
   * been read and queued ahead of it, however far behind the engine is.
   */
  startTimers(): void {
    let judgeAt = this.now();
    this.timers.push(
      setInterval(() => {
        const at = judgeAt;
        judgeAt = this.now();
        this.enqueue({ run: (t) => operatorFlow.reap(this, t, at) });
      }, this.config.reaperIntervalMs),
    );
    this.timers.push(setInterval(() => this.enqueue({ run: (t) => this.markAlive(t) }), 1000));
    for (const timer of this.timers) timer.unref();
    this.trust.start();
  }

  /**
   * Stops taking commands and waits for the turn in progress. `refusal` is
   * what later commands are told (a follower says where the leader is).
   */
  async stop(refusal?: () => CortenError): Promise<void> {
    this.stopped = true;
    if (refusal) this.refusal = refusal;
    this.trust.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.idle();
  }

  /** Resolves when no turn is running or scheduled. */
  idle(): Promise<void> {
    if (!this.turning && !this.turnScheduled && this.inbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  markAlive(turn: Turn): void {
    turn.changes.push({ op: 'meta.set', key: 'last_alive', value: String(turn.now) });
  }

  // ---- commands -------------------------------------------------------------

  /** Runs `fn` inside a turn and resolves with its result once the turn is committed. */
  command<T>(fn: (turn: Turn) => T | Promise<T>, weight = 1): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({
        run: async (turn) => {
          const value = await fn(turn);
          turn.afterCommit(() => resolve(value));
        },
        fail: reject,
        weight,
      });
    });
  }

  /** Submits one task per input, owned by `owner` (ownership.ts); `accountId` pays for a priced EU. */
  submit(eu: EuState, inputs: NewInput[], owner: string, accountId: string | null = null): Promise<string[]> {
    // A task costs about an eighth of a result to create (two rows, no signature).
    const weight = Math.ceil(inputs.length / 8);
    return this.command((turn) => taskFlow.submit(this, turn, eu, inputs, owner, accountId), weight);
  }

  /**
   * Takes in a submission a follower accepted (PostgreSQL's inbox): its tasks
   * get the ids the submitter was given, and the inbox row goes in the same commit.
   */
  takeIn(
    eu: EuState,
    inputs: NewInput[],
    owner: string,
    accountId: string | null,
    ids: readonly string[],
    inboxId: number,
  ): Promise<string[]> {
    return this.command(
      (turn) => {
        const taken = taskFlow.takeIn(this, turn, eu, inputs, owner, accountId, ids);
        turn.changes.push({ op: 'inbox.delete', id: inboxId });
        return taken;
      },
      Math.ceil(inputs.length / 8),
    );
  }

  /** Cancels the open tasks among `ids` that `owner` owns (null: any); resolves with those it cancelled. */
  cancelTasks(ids: readonly string[], owner: string | null): Promise<string[]> {
    return this.command((turn) => taskFlow.cancel(this, turn, ids, owner), Math.max(1, Math.ceil(ids.length / 8)));
  }

  publish(eu: EuState): Promise<{ eu: EuState; created: boolean }> {
    return this.command((turn) => taskFlow.publish(this, turn, eu));
  }

  publishWorkflow(entry: WorkflowEntry): Promise<{ entry: WorkflowEntry; created: boolean }> {
    return this.command((turn) => this.workflows.publish(turn, entry));
  }

  /** Creates one job per input (JSON text) of `entry`, all or none; `accountId` pays for its priced steps. */
  submitJobs(entry: WorkflowEntry, inputs: string[], owner: string, accountId: string | null): Promise<string[]> {
    // A job costs about a task and a half to create (its row, its first step's task and their events).
    return this.command(
      (turn) => this.workflows.submit(turn, entry, inputs, owner, accountId),
      Math.ceil(inputs.length / 5),
    );
  }

  cancelJob(jobId: string): Promise<{ cancelled: boolean; tasks: number }> {
    return this.command((turn) => this.workflows.cancel(turn, jobId));
  }

  upgradeWorkflow(
    entry: WorkflowEntry,
    options: { running: boolean; backfill: boolean; dryRun: boolean },
  ): Promise<UpgradeWorkflowResponse> {
    return this.command((turn) => this.workflows.upgrade(turn, entry, options));
  }

  connect(conn: OperatorConnection, hello: HelloMessage, operatorId: string): Promise<void> {
    return this.command((turn) => operatorFlow.connect(this, turn, conn, hello, operatorId));
  }

  disconnect(conn: OperatorConnection, operatorId: string, reason: string): void {
    this.enqueue({ run: (turn) => operatorFlow.disconnect(this, turn, conn, operatorId, reason, true) });
  }

  /** A results frame: `items` read well, `unreadable` did not and are refused with the frame. */
  results(
    conn: OperatorConnection,
    operatorId: string,
    items: ResultItem[],
    unreadable: UnreadableResult[] = [],
  ): void {
    const weight = Math.max(1, items.length + unreadable.length);
    this.pendingResults += weight;
    this.enqueue({
      run: (turn) => {
        this.pendingResults -= weight;
        return acceptResults(this, turn, conn, operatorId, items, unreadable);
      },
      weight,
    });
  }

  /** A frame the gateway refused whole (not JSON, too deep, wrong shape): it counts towards a flood like a refused
   * result. */
  refusedFrame(conn: OperatorConnection, operatorId: string, code: string, message: string): void {
    this.enqueue({
      run: (turn) => {
        const op = this.operators.get(operatorId);
        if (op && op.conn === conn) this.countRefusal(turn, conn, op, { assignmentId: '', code, message });
      },
    });
  }

  /** Refuses one result: tells the operator in its ack, and counts it. */
  refuseResult(
    turn: Turn,
    conn: OperatorConnection,
    op: OperatorState,
    sample: { assignmentId: string; code: string; message: string; taskId?: string },
  ): void {
    turn.refuse(conn, sample.assignmentId, sample.code, sample.message);
    this.countRefusal(turn, conn, op, sample);
  }

  private countRefusal(
    turn: Turn,
    conn: OperatorConnection,
    op: OperatorState,
    sample: { assignmentId: string; code: string; message: string; taskId?: string },
  ): void {
    if (!this.refusals.record(op.id, turn.now, sample)) return;
    // Flooding: its counts go out with its disconnection, which costs it standing.
    this.writeRefusals(turn, op.id);
    operatorFlow.disconnect(this, turn, conn, op.id, 'refused_flood', false);
    this.trust.flooded(turn, op);
    turn.close(conn, 4008, 'too many refused results or frames');
  }

  /** Writes the `results.refused` events now due (all of one operator's, when `operatorId` is given). */
  private writeRefusals(turn: Turn, operatorId?: string): void {
    for (const data of this.refusals.due(turn.now, operatorId))
      turn.event('results.refused', data, { operatorId: data.operatorId });
  }

  drain(operatorId: string): void {
    this.enqueue({ run: (turn) => operatorFlow.drain(this, turn, operatorId) });
  }

  release(operatorId: string, assignmentIds: string[], reason: string): void {
    this.enqueue({ run: (turn) => operatorFlow.release(this, turn, operatorId, assignmentIds, reason) });
  }

  setRegion(region: string, down: boolean, reason: string): Promise<void> {
    return this.command((turn) => this.regions.setByAdmin(turn, region, down, reason));
  }

  /** A heartbeat: refreshes liveness in memory; nothing to persist. */
  touch(operatorId: string): void {
    const op = this.operators.get(operatorId);
    if (op) op.lastSeenAt = this.now();
  }

  /** A heartbeat's list of assignments started since the last one, with their ages: their leases count from then. */
  leasesStarted(operatorId: string, started: readonly (readonly [string, number])[]): void {
    startLeases(this.memory, operatorId, started, this.now());
  }

  /** A heartbeat stamped `sentAt` by the operator's clock: feeds its missed-heartbeat figure. */
  heartbeat(operatorId: string, sentAt: number): void {
    const op = this.operators.get(operatorId);
    if (op) this.trust.heartbeat(op, sentAt, this.now());
  }

  /**
   * Gives every event of the turn its owner (ownership.ts), so that readers
   * are filtered on the event itself, in the store and on the live stream.
   * A task's owner is in memory while it is open or just finished; an event
   * about an older task (a late result refused) looks it up.
   */
  private async giveOwners(turn: Turn): Promise<void> {
    const events = turn.changes.events;
    const known = (id: string) => this.tasks.get(id)?.owner ?? turn.finishedOwners.get(id);
    const unknown = new Set<string>();
    for (const e of events) if (e.taskId && known(e.taskId) === undefined) unknown.add(e.taskId);
    const looked = unknown.size > 0 ? await this.store.getTaskOwners([...unknown]) : new Map<string, string>();
    // A task the store does not know either (an operator naming a made-up one) is the admin's to see.
    const taskOwner = (id: string) => known(id) ?? looked.get(id) ?? NETWORK_OWNER;
    for (const e of events) if (e.owner === undefined) e.owner = eventOwner(e, taskOwner);
  }

  /** At most every WAITING_CHECK_MS: marks queued tasks no online operator can run (task.waiting). */
  private checkWaiting(turn: Turn): void {
    if (turn.now - this.lastWaitingCheck < WAITING_CHECK_MS) return;
    this.lastWaitingCheck = turn.now;
    const online = [...this.operators.values()].filter(
      (op) =>
        (op.status === 'online' || op.status === 'degraded') &&
        op.conn !== null &&
        !this.scheduler.downRegions.has(op.region) &&
        this.trust.qualifies(op),
    );
    this.scheduler.checkWaiting(
      (eu) => online.some((op) => meetsRequirements(op, eu)),
      (task, reason) => taskFlow.markWaiting(turn, task, reason),
    );
  }

  // ---- the loop -------------------------------------------------------------

  private enqueue(command: Command): void {
    if (this.stopped) {
      command.fail?.(
        this.refusal?.() ??
          new CortenError('SHUTTING_DOWN', 'the coordinator is shutting down; retry against the restarted coordinator'),
      );
      return;
    }
    this.inbox.push(command);
    this.scheduleTurn();
  }

  /**
   * Group commit: a turn starts at once when the engine has been quiet, but
   * no sooner than `turnIntervalMs` after the previous turn ended when it is
   * busy, so that the commands of a burst share one transaction. A commit
   * costs about the same for one change as for fifty (the WAL writes whole
   * pages), so this trades a millisecond or two of latency for several times
   * the throughput.
   *
   * A turn always starts from `setImmediate`, after the event loop's poll phase, never straight from a
   * timer: a turn started in the timers phase, next to the reaper's timer, would judge operators
   * before the frames that had arrived during the previous turn were read.
   */
  private scheduleTurn(): void {
    if (this.turnScheduled || this.turning) return;
    this.turnScheduled = true;
    const wait = this.lastTurnEnd + this.config.turnIntervalMs - performance.now();
    if (wait <= 0) setImmediate(() => void this.runTurn());
    else setTimeout(() => setImmediate(() => void this.runTurn()), wait);
  }

  private async runTurn(): Promise<void> {
    this.turnScheduled = false;
    this.turning = true;
    let taken = 0;
    let budget = 0;
    while (taken < this.inbox.length && budget < TURN_BUDGET) budget += this.inbox[taken++]!.weight ?? 1;
    const commands = taken === this.inbox.length ? this.inbox : this.inbox.slice(0, taken);
    this.inbox = taken === this.inbox.length ? [] : this.inbox.slice(taken);
    let moreToPlace = false;
    const turn = new Turn(this.now());
    this.current = turn;
    try {
      for (const command of commands) {
        const mark = turn.changes.size;
        try {
          await command.run(turn);
        } catch (thrown) {
          const error = coerceError(thrown);
          if (error.code === 'INTERNAL') this.log.error({ err: thrown }, 'command failed');
          if (turn.changes.size !== mark)
            throw new Error(`a failed command left ${turn.changes.size - mark} writes behind`, { cause: thrown });
          command.fail?.(error);
        }
      }
      this.writeRefusals(turn);
      // Before settlement closes: the next steps' tasks and released escrow ride in this turn's entry.
      this.workflows.endTurn(turn);
      this.trust.endTurn(turn);
      if (this.pendingResults < ADMIT_BELOW_PENDING_RESULTS)
        moreToPlace = this.scheduler.run(this.operators.values(), TURN_ASSIGNMENTS) >= TURN_ASSIGNMENTS;
      else this.metrics.admissionHeld.inc();
      queueStandingNotices(turn, this.operators, this.trust);
      this.webhooks.queueDeliveries(turn);
      this.checkWaiting(turn);
      taskFlow.writeDirtyTasks(this, turn);
      const missing = turn.tasksMissingInput();
      const inputs =
        missing.length > 0 ? await this.store.getTaskInputs(missing.map((t) => t.id)) : new Map<string, string>();
      await this.giveOwners(turn);
      let events: CortenEvent[] = [];
      if (turn.changes.size > 0) {
        const started = performance.now();
        events = await this.store.commit(turn.changes);
        this.metrics.recordCommit(turn.changes.size, performance.now() - started);
      }
      this.current = null;
      const sentAt = this.now();
      turn.flush(inputs, (readySince) => this.metrics.recordSchedulingLatency(sentAt - readySince));
      this.bus.publish(events);
      this.metrics.turnSeconds.observe((this.now() - turn.now) / 1000);
    } catch (thrown) {
      // Memory may now be ahead of the store (a failed commit, or STALE_FENCE: a
      // lease the store holds otherwise), so no further turn may write. The
      // turn's own commands fail too: nothing they did was committed or sent.
      this.current = null;
      this.stopped = true;
      const stopped = new CortenError('INTERNAL', 'the coordinator stopped after a storage failure', { cause: thrown });
      for (const command of [...commands, ...this.inbox]) command.fail?.(stopped);
      this.inbox = [];
      this.emit('fatal', thrown);
    } finally {
      this.turning = false;
      this.lastTurnEnd = performance.now();
      if ((this.inbox.length > 0 || moreToPlace) && !this.stopped) this.scheduleTurn();
      else {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
