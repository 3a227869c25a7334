/**
 * An engine in the test's hands: the real `Engine` on a real SQLite store in a
 * temp folder, with a clock that moves only when the test moves it, fake
 * operator connections that record every frame and close, and the periodic
 * commands (reaper, trust tick, liveness mark) run by hand instead of timers.
 *
 * What it skips is what the gateway does before the engine sees anything: the
 * WebSocket and the hello signature check. Results are signed with real keys
 * and checked by the engine as they would be from a real operator.
 *
 * Tests never sleep: every helper that makes the engine work awaits
 * `engine.idle()`, and time passes only through `advance`.
 */
import { pino } from 'pino';
import {
  devAccount,
  euIdOf,
  generateKeyPair,
  hashJson,
  HelloMessage,
  identityId,
  leafHash,
  LedgerEntry,
  PROTOCOL_VERSION,
  signBatch,
  verifyLedger,
  type CortenEvent,
  type EventType,
  type KeyPair,
  type LedgerAudit,
  type PublishEuRequest,
  type ResultItem,
  type WireAssignment,
} from '../../src/protocol/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { Accounts } from '../../src/coordinator/economics/accounts.js';
import { defaultConfig, type CoordinatorConfig } from '../../src/coordinator/config/config.js';
import { Engine } from '../../src/coordinator/engine/engine.js';
import { EuRegistry } from '../../src/coordinator/memory/eu-registry.js';
import { EventBus } from '../../src/coordinator/engine/event-bus.js';
import { inputCheckFor, parsePackage } from '../../src/coordinator/api/eu-intake.js';
import * as operatorFlow from '../../src/coordinator/lifecycle/operator-flow.js';
import { NETWORK_OWNER } from '../../src/coordinator/economics/ownership.js';
import { recover } from '../../src/coordinator/engine/recovery.js';
import type { EuState, OperatorConnection } from '../../src/coordinator/memory/state.js';
import { tempDir } from '../helpers/temp.js';

/** A plausible wall-clock start: ids embed the time. */
const EPOCH = Date.UTC(2025, 0, 1);

type Frame = { t: string } & Record<string, unknown>;

let nextConnectionId = 1;

/** A connection as the gateway hands it to the engine, recording what the engine does with it. */
export class FakeConnection implements OperatorConnection {
  readonly connectionId = nextConnectionId++;
  /** Every message sent, in order (a frame holding an array is split into its messages). */
  readonly messages: Frame[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(private readonly log: string[]) {}

  send(frame: string): void {
    const parsed = JSON.parse(frame) as Frame | Frame[];
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.messages.push(m);
  }

  close(code: number, reason: string): void {
    this.log.push(`close:${this.connectionId}`);
    this.closed = { code, reason };
  }

  /** Messages of one type, in order. */
  of(t: string): Frame[] {
    return this.messages.filter((m) => m.t === t);
  }
}

export interface ConnectOptions {
  region?: string;
  maxConcurrent?: number;
  /** Assignments it says it still holds (a reconnect). */
  held?: string[];
}

/** An operator as the engine sees it: an identity, a connection, and what it was sent. */
export class FakeOperator {
  readonly id: string;
  conn!: FakeConnection;

  constructor(
    private readonly net: EngineHarness,
    readonly keys: KeyPair,
    readonly region: string,
  ) {
    this.id = identityId('op', keys.publicKey.toString('hex'));
  }

  /** Every assignment sent to it, over every connection it had, in order. */
  readonly sent: WireAssignment[] = [];

  /** Assignments sent on its current connection and not yet taken by `take`. */
  private taken = 0;

  /** Assignments sent and not yet handed out by this method (each is returned once). */
  take(): WireAssignment[] {
    const all = this.conn.of('assign').flatMap((m) => m.assignments as WireAssignment[]);
    const fresh = all.slice(this.taken);
    this.taken = all.length;
    this.sent.push(...fresh);
    return fresh;
  }

  /** The one assignment it was sent since the last `take`. */
  takeOne(): WireAssignment {
    const fresh = this.take();
    if (fresh.length !== 1) throw new Error(`${this.id} got ${fresh.length} assignments, expected 1`);
    return fresh[0]!;
  }

  /** A result signed with its key (or `keys`), as a batch of one: what an agent sends. */
  result(
    a: WireAssignment,
    output: unknown,
    opts: { attempt?: number; keys?: KeyPair; error?: string } = {},
  ): ResultItem {
    const outputHash = opts.error ? hashJson({ error: opts.error }) : hashJson(output);
    const attempt = opts.attempt ?? a.attempt;
    const statement = {
      assignmentId: a.assignmentId,
      taskId: a.taskId,
      euId: a.euId,
      attempt,
      inputHash: a.inputHash,
      outputHash,
    };
    const item: ResultItem = {
      assignmentId: a.assignmentId,
      attempt,
      outputHash,
      signature: signBatch(opts.keys ?? this.keys, leafHash(statement)),
      proof: [],
      metrics: { durationMs: 1 },
    };
    if (opts.error) item.error = { code: opts.error, message: 'the EU threw' };
    else item.output = output;
    return item;
  }

  /** Sends results (one frame) and waits for the engine to take them in. */
  async send(...items: ResultItem[]): Promise<void> {
    this.net.engine.results(this.conn, this.id, items);
    await this.net.idle();
  }

  /** Runs `a` honestly: the output is a function of the input hash, the same on every honest replica. */
  async complete(a: WireAssignment, output: unknown = { ok: a.inputHash.slice(0, 8) }): Promise<void> {
    await this.send(this.result(a, output));
  }

  /** A heartbeat arriving now, stamped `sentAt` by the operator's clock (default: the coordinator's). */
  heartbeat(sentAt = this.net.now): void {
    this.net.engine.touch(this.id);
    this.net.engine.heartbeat(this.id, sentAt);
  }

  /** Its socket closed (the process died). */
  async drop(): Promise<void> {
    this.net.engine.disconnect(this.conn, this.id, 'connection_closed');
    await this.net.idle();
  }

  /** A new connection for the same key (a restarted or reconnecting agent). */
  async reconnect(opts: ConnectOptions = {}): Promise<FakeConnection> {
    await this.net.openConnection(this, opts);
    this.taken = 0;
    return this.conn;
  }

  async release(ids: string[], reason = 'released'): Promise<void> {
    this.net.engine.release(this.id, ids, reason);
    await this.net.idle();
  }

  /** Refusals it was sent in acks, as `code` per assignment id. */
  refused(): { assignmentId: string; code: string }[] {
    return this.conn.of('ack').flatMap((m) => m.refused as { assignmentId: string; code: string }[]);
  }

  accepted(): string[] {
    return this.conn.of('ack').flatMap((m) => m.accepted as string[]);
  }

  cancelled(): string[] {
    return this.conn.of('cancel').flatMap((m) => m.assignmentIds as string[]);
  }
}

export class EngineHarness {
  now = EPOCH;
  readonly engine: Engine;
  readonly events: CortenEvent[] = [];
  /** Commits and connection closes, in the order they happened (`commit:<n>` counts a commit's events). */
  readonly log: string[] = [];
  /** When set, the next commit throws this instead of writing. */
  failNextCommit: Error | null = null;
  fatal: unknown = null;

  private constructor(
    readonly store: Store,
    readonly config: CoordinatorConfig,
    private readonly cleanup: (failed: boolean) => void,
  ) {
    const bus = new EventBus((error) => {
      throw error;
    });
    bus.subscribe((events) => this.events.push(...events));
    const realCommit = store.commit.bind(store);
    store.commit = async (changes) => {
      const failure = this.failNextCommit;
      this.failNextCommit = null;
      if (failure) throw failure;
      const events = await realCommit(changes);
      this.log.push(`commit:${events.map((e) => e.type).join(',')}`);
      return events;
    };
    this.engine = new Engine({
      store,
      config,
      bus,
      eus: new EuRegistry(inputCheckFor),
      log: pino({ level: 'silent' }),
      coordinatorId: 'co_test',
      now: () => this.now,
    });
    this.engine.on('fatal', (error: unknown) => {
      this.fatal = error;
    });
  }

  /** An engine on a fresh store, recovered as the coordinator does at start (no timers). */
  static async start(label: string, config: Partial<CoordinatorConfig> = {}): Promise<EngineHarness> {
    const dir = tempDir(`engine-${label}`);
    const full = defaultConfig({
      dataDir: dir.path,
      publishBuiltinEus: false,
      logLevel: 'silent',
      turnIntervalMs: 0,
      ...config,
    });
    const store = await openStore({ dataDir: dir.path });
    const h = new EngineHarness(store, full, dir.cleanup);
    await recover(h.engine);
    return h;
  }

  async stop(failed = false): Promise<void> {
    await this.engine.stop();
    await this.store.close();
    this.cleanup(failed);
  }

  idle(): Promise<void> {
    return this.engine.idle();
  }

  /** Moves the fake clock on. Nothing runs until a command does. */
  advance(ms: number): void {
    this.now += ms;
  }

  // ---- the periodic commands, by hand -----------------------------------------------

  /** One pass of the lease reaper (the engine runs it every `reaperIntervalMs`). */
  reap(): Promise<void> {
    return this.engine.command((turn) => operatorFlow.reap(this.engine, turn));
  }

  /** One trust tick (every `trustTickMs`): payouts, uptime, health, proactive moves. */
  tick(): Promise<void> {
    return this.engine.command((turn) => this.engine.trust.tick(turn));
  }

  markAlive(): Promise<void> {
    return this.engine.command((turn) => this.engine.markAlive(turn));
  }

  // ---- operators -------------------------------------------------------------------

  /** Connects a new operator as the gateway does once its hello signature verified. */
  async connect(opts: ConnectOptions = {}): Promise<FakeOperator> {
    const op = new FakeOperator(this, generateKeyPair(), opts.region ?? 'test');
    await this.openConnection(op, opts);
    return op;
  }

  /** @internal */
  async openConnection(op: FakeOperator, opts: ConnectOptions): Promise<void> {
    const hello = HelloMessage.parse({
      t: 'hello',
      protocol: PROTOCOL_VERSION,
      publicKey: op.keys.publicKey.toString('hex'),
      signature: '0'.repeat(128),
      region: opts.region ?? op.region,
      resources: { cpu: 4, memoryMb: 4096 },
      maxConcurrent: opts.maxConcurrent ?? 4,
      held: opts.held ?? [],
    });
    op.conn = new FakeConnection(this.log);
    await this.engine.connect(op.conn, hello, op.id);
    await this.idle();
  }

  // ---- EUs, tasks, money ----------------------------------------------------------

  async publish(pkg: PublishEuRequest, owner = NETWORK_OWNER): Promise<EuState> {
    const { manifest, files } = parsePackage(pkg);
    const eu = this.engine.eus.make(euIdOf(manifest, files), manifest, files, this.now, owner);
    return (await this.engine.publish(eu)).eu;
  }

  async submit(eu: EuState, inputs: unknown[], accountId: string | null = null): Promise<string[]> {
    const ids = await this.engine.submit(
      eu,
      inputs.map((i) => ({ text: JSON.stringify(i), hash: hashJson(i) })),
      NETWORK_OWNER,
      accountId,
    );
    await this.idle();
    return ids;
  }

  /** An account holding `deposit` credits; returns its id. */
  async account(deposit: number): Promise<string> {
    const { row } = Accounts.create('dev', this.now);
    await this.engine.command((turn) => {
      turn.changes.push({ op: 'account.insert', row });
      if (deposit > 0) this.engine.trust.deposit(turn, row.id, deposit);
    });
    return row.id;
  }

  async stake(operatorId: string, amount: number): Promise<void> {
    await this.engine.command((turn) => this.engine.trust.stake(turn, operatorId, amount));
    await this.idle();
  }

  balance(account: string): number {
    return this.engine.trust.ledger.balance(account);
  }

  devBalance(accountId: string): number {
    return this.balance(devAccount(accountId));
  }

  /** The ledger audited from the store: chain, balances, conservation, and memory's balances against it. */
  async audit(): Promise<LedgerAudit> {
    const rows = await this.store.trust.listLedgerEntries(0, 100_000);
    const entries = rows.map((r) => LedgerEntry.parse({ ...r, postings: JSON.parse(r.postings) as unknown }));
    return verifyLedger(entries, (await this.store.trust.loadLedger()).balances);
  }

  // ---- reading what happened -------------------------------------------------------

  /** Committed events of one type, in order (their data). */
  of<T extends EventType>(type: T): CortenEvent<T>['data'][] {
    return this.events.filter((e) => e.type === type).map((e) => e.data as CortenEvent<T>['data']);
  }

  task(id: string) {
    return this.engine.tasks.get(id);
  }

  async taskRow(id: string) {
    return (await this.store.getTask(id))!;
  }
}
