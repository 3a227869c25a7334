/**
 * The coordinator process: the store, the engine, the HTTP API and the
 * operator gateway, put together and started in order (store → memory from
 * the store → built-in EUs → listening), and stopped in reverse.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { pino, type Logger } from 'pino';
import {
  coerceError,
  CortenError,
  euIdOf,
  MAX_OPERATOR_FRAME_BYTES,
  MAX_VALUE_DEPTH,
  valueTooDeep,
  hashJson,
  identityId,
  keyPairFromSeed,
  generateKeyPair,
  seedOf,
  type AssignmentView,
  type BulkTasksResponse,
  type ListTasksQuery,
  type TaskCountsView,
  type CortenEvent,
  type EuSummary,
  type EuView,
  type KeyPair,
  type OperatorHistoryView,
  type OperatorView,
  type PublishEuRequest,
  type PublishEuResponse,
  type RegionView,
  type Stats,
  type SubmitTasksRequest,
  type SubmitTasksResponse,
  type TaskView,
} from '../../protocol/index.js';
import { ChangeSet, DataDirLock, openStore, PostgresStore, type EventFilter, type Store } from '../../store/index.js';
import { defaultConfig, type CoordinatorConfig } from '../config/index.js';
import { Engine, EventBus, recover, type RecoveryReport } from '../engine/index.js';
import { EuRegistry, newId } from '../memory/index.js';
import {
  accountRoutes,
  clientErrorHandler,
  type CoordinatorOperations,
  dashboardRoutes,
  euRoutes,
  eventRoutes,
  frameworkErrors,
  inputCheckFor,
  installApiDocs,
  installErrorHandling,
  ledgerRoutes,
  loadBuiltinEus,
  networkRoutes,
  openaiRoutes,
  OperatorApi,
  OperatorAuth,
  operatorRoutes,
  parsePackage,
  stakeRoutes,
  taskRoutes,
  TrustApi,
  WorkflowApi,
  workflowRoutes,
} from '../api/index.js';
import { OperatorGateway, serveOperatorSockets } from '../gateway/index.js';
import { Accounts, canRead, NETWORK_OWNER, ownerOf, requireOwner, type Viewer, viewerOf } from '../economics/index.js';
import { operatorSummary } from '../trust/index.js';
import { FollowerFeed } from './follower-feed.js';
import { InboxIntake } from './inbox-intake.js';
import { Leadership } from './leadership.js';
import { NetworkViewPublisher, NetworkViewReader, type NetworkView } from './network-views.js';

/** The shard of the single writer this coordinator leads: one for the whole network today. */
const LEADER_SHARD = 'main';
/** Where operators open their WebSocket. */
const OPERATOR_SOCKET_PATH = '/v1/operators/connect';
/** WebSocket close code that sends an operator on to the leader (its URL is the reason). */
const CLOSE_NOT_LEADER = 4010;
import { WebhookDispatcher } from '../webhooks/index.js';
import {
  cancelTasks,
  countTasks,
  retryTasks,
  searchTasks,
  taskSummary,
  type TaskOperationsContext,
  type TaskSummary,
} from './task-operations.js';

export class Coordinator implements CoordinatorOperations {
  readonly config: CoordinatorConfig;
  readonly log: Logger;
  readonly bus: EventBus;
  readonly eus: EuRegistry;
  private store!: Store;
  private engine!: Engine;
  private gateway: OperatorGateway | null = null;
  /** With PostgreSQL: the leader lease; null for a coordinator alone on SQLite. */
  private leadership: Leadership | null = null;
  /** A follower's view of the event log. */
  private feed: FollowerFeed | null = null;
  /** A leader's reader of the submissions followers accepted. */
  private intake: InboxIntake | null = null;
  /** A leader's writer, a follower's reader, of the views only the leader's memory holds. */
  private viewPublisher: NetworkViewPublisher | null = null;
  private viewReader: NetworkViewReader | null = null;
  private leading = false;
  private transitions: Promise<void> = Promise.resolve();
  /** This process among the coordinators sharing a store (the lease holder's name). */
  private readonly instance = `ci_${randomBytes(8).toString('hex')}`;
  private app!: FastifyInstance;
  private keys!: KeyPair;
  private lock: DataDirLock | null = null;
  private finished = { verified: 0, failed: 0, submitted: 0 };
  /** Accounts, deposits, stake, ledger, reputation and receipts (see trust-api.ts). */
  trust!: TrustApi;
  /** Workflows and jobs (workflow-api.ts). */
  workflows!: WorkflowApi;
  accounts!: Accounts;
  /** An operator's standing and webhooks, for whoever holds its key (see operator-api.ts). */
  operatorApi!: OperatorApi;
  private operatorAuth!: OperatorAuth;
  private dispatcher: WebhookDispatcher | null = null;
  id = '';
  url = '';
  recovery: RecoveryReport | null = null;
  /** Told each time this coordinator starts leading or following (PostgreSQL). */
  onRole: ((role: { role: 'leader'; epoch: number } | { role: 'follower'; reason: string }) => void) | null = null;

  constructor(config: Partial<CoordinatorConfig> = {}, log?: Logger) {
    this.config = defaultConfig(config);
    this.log = log ?? pino({ level: this.config.logLevel, base: { part: 'coordinator' } });
    this.bus = new EventBus((error) => this.log.error({ err: error }, 'event listener failed'));
    this.eus = new EuRegistry(inputCheckFor);
  }

  /** Opens the store, rebuilds memory, publishes built-in EUs and starts listening. Returns the base URL. */
  async start(): Promise<string> {
    // Before anything reads or migrates the store: a second coordinator must change nothing.
    // PostgreSQL needs no lock of its own: the leader lease decides which coordinator writes.
    if (!this.config.storeUrl && this.config.dataDir !== ':memory:')
      this.lock = DataDirLock.acquire(this.config.dataDir);
    try {
      return await this.open();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async open(): Promise<string> {
    this.store = await openStore({
      dataDir: this.config.dataDir,
      storeUrl: this.config.storeUrl ?? undefined,
      // Long enough for a slow commit on a busy machine; a leader paused mid-commit holds the fence row this long.
      idleInTransactionMs: Math.max(5000, 3 * this.config.leaderLeaseMs),
    });
    this.accounts = new Accounts(this.store, this.config.adminToken);
    this.operatorAuth = new OperatorAuth(this.accounts);
    this.bus.subscribe((events) => this.count(events));
    this.bus.subscribe((events) => {
      // Counted by type first: the counter hashes its labels on every inc, and a turn holds hundreds of events.
      const byType = new Map<string, number>();
      for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      for (const [type, n] of byType) this.engine?.metrics.events.inc({ type }, n);
    });
    if (!(this.store instanceof PostgresStore)) {
      await this.lead();
      await this.listen();
      this.engine.startTimers();
      this.dispatcher?.start();
      this.log.info({ url: this.url, coordinatorId: this.id, recovery: this.recovery }, 'coordinator listening');
      return this.url;
    }
    // Shared: listen as a follower first, then take part in the leader lease.
    await this.follow('starting');
    await this.listen();
    const leadership = new Leadership(this.store.leaderLease(LEADER_SHARD, this.config.leaderLeaseMs), {
      holder: this.instance,
      url: this.url,
      leaseMs: this.config.leaderLeaseMs,
      renewMs: this.config.leaderRenewMs,
      log: this.log,
    });
    this.leadership = leadership;
    leadership.on('elected', (epoch: number) => void this.transition(() => this.lead(epoch)));
    leadership.on('deposed', (reason: string) => void this.transition(() => this.follow(reason)));
    await leadership.start();
    await this.transitions;
    this.log.info({ url: this.url, leader: leadership.isLeader }, 'coordinator listening');
    return this.url;
  }

  private async listen(): Promise<void> {
    this.app = this.buildApp();
    await this.app.listen({ host: this.config.host, port: this.config.port });
    const address = this.app.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    this.url = `http://${this.config.host}:${port}`;
    this.lock?.describe({ url: this.url, coordinatorId: this.id });
  }

  /** Runs leader/follower changes one at a time, in the order leadership announced them. */
  private transition(step: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(step).catch((error: unknown) => {
      this.log.error({ err: coerceError(error) }, 'leadership change failed; stepping down');
      this.leadership?.stepDown('a leadership change failed');
    });
    return this.transitions;
  }

  /**
   * Becomes the single writer: (with PostgreSQL, fenced on `epoch`, after
   * reading every event the previous leader committed) rebuilds memory from
   * the store, publishes the built-in EUs and takes operators.
   */
  private async lead(epoch?: number): Promise<void> {
    if (this.store instanceof PostgresStore && epoch !== undefined) {
      this.store.fenceEpoch({ shard: LEADER_SHARD, epoch });
      await this.feed?.stop();
      await this.feed?.drain();
      this.feed = null;
      await this.engine?.stop();
    }
    this.keys = await this.loadIdentity();
    this.id = identityId('co', this.keys.publicKey.toString('hex'));
    const engine = this.newEngine();
    engine.on('fatal', (error: unknown) => this.onFatal(engine, error));
    this.engine = engine;
    await this.countFinished();
    // Before recovery: the alerts of its turn (operators offline across the restart) are delivered too.
    await engine.webhooks.load(this.store);
    this.recovery = await recover(engine);
    this.useEngine(engine);
    if (this.config.publishBuiltinEus) {
      for (const pkg of await loadBuiltinEus()) await this.publishAs(pkg, NETWORK_OWNER);
    }
    this.gateway = new OperatorGateway(engine);
    this.leading = true;
    // Webhooks are delivered by the leader alone: it holds the delivery rows' writer.
    this.dispatcher = new WebhookDispatcher({
      store: this.store,
      registry: engine.webhooks,
      command: (fn) => engine.command(fn),
      config: this.config,
      log: this.log,
    });
    if (this.store instanceof PostgresStore && epoch !== undefined) {
      engine.startTimers();
      this.dispatcher.start();
      this.intake = new InboxIntake(this.store, engine, this.eus, this.log);
      await this.intake.start();
      await this.viewReader?.stop();
      this.viewReader = null;
      const fence = { shard: LEADER_SHARD, epoch };
      this.viewPublisher = new NetworkViewPublisher(this.store.leaderViews, fence, () => this.networkView(), this.log);
      void this.viewPublisher.start();
      this.log.info({ epoch, coordinatorId: this.id, recovery: this.recovery }, 'leading');
      this.onRole?.({ role: 'leader', epoch });
    }
  }

  /**
   * Becomes (or starts as) a follower: writes nothing, serves reads from the
   * store and the event stream from the log, sends operators to the leader.
   */
  private async follow(reason: string): Promise<void> {
    const store = this.store as PostgresStore;
    this.leading = false;
    // Nothing this process commits from now on can land (no lease has epoch 0).
    store.fenceEpoch({ shard: LEADER_SHARD, epoch: 0 });
    this.dispatcher?.stop();
    this.dispatcher = null;
    await this.intake?.stop();
    this.intake = null;
    await this.viewPublisher?.stop();
    this.viewPublisher = null;
    await this.engine?.stop(() => this.notLeader());
    this.gateway?.closeAll();
    this.gateway = null;
    try {
      const seed = await store.getMeta('coordinator_seed');
      this.keys = seed ? keyPairFromSeed(Buffer.from(seed, 'hex')) : (this.keys ?? generateKeyPair());
      this.id = identityId('co', this.keys.publicKey.toString('hex'));
      for (const row of await store.listEus()) this.eus.add(this.eus.fromRow(row));
      if (reason === 'starting') this.bus.seq = await store.lastEventSeq();
      await this.countFinished();
    } catch (error) {
      // The database is away (the likely reason this leader stepped down): follow with what memory holds.
      if (reason === 'starting') throw error;
      this.log.warn({ err: coerceError(error) }, 'following without a fresh read of the store');
    }
    const engine = this.newEngine();
    await engine.stop(() => this.notLeader());
    this.engine = engine;
    this.useEngine(engine);
    this.feed = new FollowerFeed(store, this.bus, (events) => this.learnEus(events), this.log);
    await this.feed.start();
    this.viewReader ??= new NetworkViewReader(store.leaderViews, this.log);
    await this.viewReader.start();
    await this.leadership?.refresh();
    this.log.info({ reason, leader: this.leadership?.leaderUrl ?? null }, 'following');
    this.onRole?.({ role: 'follower', reason });
  }

  private newEngine(): Engine {
    return new Engine({
      store: this.store,
      config: this.config,
      bus: this.bus,
      eus: this.eus,
      log: this.log,
      coordinatorId: this.id,
    });
  }

  /** The APIs that act through `engine`: made anew each time this coordinator starts leading or following. */
  private useEngine(engine: Engine): void {
    this.trust = new TrustApi({
      engine,
      store: this.store,
      eus: this.eus,
      keys: this.keys,
      coordinatorId: this.id,
      accounts: this.accounts,
    });
    this.operatorApi = new OperatorApi({ engine, store: this.store });
    this.workflows = new WorkflowApi({ engine, store: this.store, accounts: this.accounts, config: this.config });
  }

  private async countFinished(): Promise<void> {
    const counts = await this.store.countTasksByStatus();
    this.finished = {
      verified: counts.verified,
      failed: counts.failed,
      submitted: Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }

  /** A follower learns the EUs the leader publishes, so it can resolve them for reads and submissions. */
  private async learnEus(events: readonly CortenEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type !== 'eu.published') continue;
      const row = await this.store.getEu((e.data as { euId: string }).euId);
      if (row) this.eus.add(this.eus.fromRow(row));
    }
  }

  private onFatal(engine: Engine, error: unknown): void {
    if (engine !== this.engine) return;
    const code = coerceError(error).code;
    if (this.leadership) {
      // Shared store: another coordinator can take over at once; this one rebuilds from the store when elected again.
      this.log.warn({ err: error, code }, 'a commit failed: stepping down to follower');
      this.leadership.stepDown(code === 'STALE_EPOCH' ? 'another coordinator took over' : 'a commit failed');
      return;
    }
    const why =
      code === 'STALE_FENCE'
        ? 'stale lease fence: the store holds an assignment otherwise than memory does (or another writer changed it)'
        : 'storage failure';
    const message = `${why}: stopping; restart the coordinator to recover from the store`;
    this.log.fatal({ err: error }, message);
    // A non-zero exit, so a supervisor restarts the process and recovery rebuilds memory from the store.
    process.exitCode = 1;
    void this.stop().finally(() => process.emit('SIGTERM'));
  }

  /** What a follower answers to a write: the leader's URL, when known, so the caller can go there. */
  private notLeader(): CortenError {
    const leader = this.leadership?.leaderUrl ?? null;
    return new CortenError(
      'NOT_LEADER',
      leader
        ? `this coordinator is a follower; send writes to the leader at ${leader}`
        : 'this coordinator is a follower and no leader is up yet; retry shortly',
      { details: { leader } },
    );
  }

  /** Who leads, as this coordinator knows it. */
  leaderView(): { role: 'leader' | 'follower'; leader: string | null; epoch: number | null; url: string } {
    return {
      role: this.leading ? 'leader' : 'follower',
      leader: this.leadership ? this.leadership.leaderUrl : this.url,
      epoch: this.leadership?.currentEpoch ?? null,
      url: this.url,
    };
  }

  async stop(): Promise<void> {
    this.dispatcher?.stop();
    await this.leadership?.stop();
    await this.intake?.stop();
    await this.viewPublisher?.stop();
    await this.viewReader?.stop();
    await this.feed?.stop();
    await this.engine?.stop();
    this.gateway?.closeAll();
    await this.app?.close();
    await this.store?.close();
    this.lock?.release();
    this.lock = null;
  }

  /** An operator that reached a follower is sent on: close code 4010, the leader's URL as the reason. */
  private acceptOperator(socket: WebSocket): void {
    if (this.leading && this.gateway) {
      this.gateway.accept(socket);
      return;
    }
    socket.close(CLOSE_NOT_LEADER, this.leadership?.leaderUrl ?? '');
  }

  private buildApp(): FastifyInstance {
    const app = Fastify({
      logger: false,
      bodyLimit: this.config.bodyLimitBytes,
      forceCloseConnections: true,
      frameworkErrors,
      clientErrorHandler,
    });
    installErrorHandling(app);
    installApiDocs(app);
    // Upgrades never reach fastify (operator-sockets.ts): a plain GET gets the envelope.
    const stopSockets = serveOperatorSockets(
      app.server,
      { path: OPERATOR_SOCKET_PATH, maxPayload: MAX_OPERATOR_FRAME_BYTES },
      (socket) => this.acceptOperator(socket),
    );
    app.addHook('onClose', async () => stopSockets());
    void app.register(async (scoped) => {
      scoped.get(OPERATOR_SOCKET_PATH, async () => {
        throw new CortenError(
          'UPGRADE_REQUIRED',
          "this is the operators' WebSocket: connect with a WebSocket client (corten operator)",
        );
      });
      scoped.get('/v1/leader', async () => this.leaderView());
      euRoutes(scoped, this);
      taskRoutes(scoped, this);
      networkRoutes(scoped, this);
      eventRoutes(scoped, this);
      accountRoutes(scoped, this);
      stakeRoutes(scoped, this);
      ledgerRoutes(scoped, this);
      const operators = { auth: this.operatorAuth } as { api: OperatorApi; auth: OperatorAuth };
      // The OperatorApi of the engine in use (a new one at each change of role).
      Object.defineProperty(operators, 'api', { get: () => this.operatorApi });
      operatorRoutes(scoped, operators);
      dashboardRoutes(scoped);
      workflowRoutes(scoped, this);
    });
    // A scope of its own: these routes answer errors in OpenAI's error object, not the envelope.
    void app.register(async (scoped) =>
      openaiRoutes(scoped, this, {
        requestsPerMinute: this.config.openaiRequestsPerMinute,
        allowAnonymous: this.config.allowAnonymous,
      }),
    );
    return app;
  }

  private async loadIdentity(): Promise<KeyPair> {
    const seed = await this.store.getMeta('coordinator_seed');
    if (seed) return keyPairFromSeed(Buffer.from(seed, 'hex'));
    const keys = generateKeyPair();
    const changes = new ChangeSet();
    changes.push({ op: 'meta.set', key: 'coordinator_seed', value: seedOf(keys).toString('hex') });
    await this.store.commit(changes);
    return keys;
  }

  private count(events: readonly CortenEvent[]): void {
    for (const e of events) {
      if (e.type === 'task.submitted') this.finished.submitted += 1;
      else if (e.type === 'task.verified') this.finished.verified += 1;
      else if (e.type === 'task.failed') this.finished.failed += 1;
    }
  }

  // ---- the API's operations ------------------------------------------------------

  /** What a request may read, from its Authorization header (ownership.ts). */
  async viewer(authorization: string | undefined): Promise<Viewer> {
    return viewerOf(await this.accounts.identify(authorization), this.config.allowAnonymous);
  }

  /** Publishes an EU for the caller; publishing needs an account key or the admin token, even in anonymous mode. */
  async publishEu(request: PublishEuRequest, authorization?: string): Promise<PublishEuResponse> {
    const caller = await this.accounts.identify(authorization);
    if (caller.kind === 'anonymous') {
      throw new CortenError(
        'UNAUTHORIZED',
        'publishing an EU needs an account API key (Authorization: Bearer ck_…): its first publisher owns the name',
      );
    }
    return this.publishAs(request, ownerOf(caller, false)!);
  }

  private async publishAs(request: PublishEuRequest, owner: string): Promise<PublishEuResponse> {
    const { manifest, files } = parsePackage(request);
    const eu = this.eus.make(euIdOf(manifest, files), manifest, files, Date.now(), owner);
    const result = await this.engine.publish(eu);
    return { id: result.eu.id, name: manifest.name, version: manifest.version, created: result.created };
  }

  listEus(): EuSummary[] {
    return this.eus.all().map((eu) => ({
      id: eu.id,
      name: eu.manifest.name,
      version: eu.manifest.version,
      description: eu.manifest.description,
      publishedAt: eu.publishedAt,
    }));
  }

  getEu(ref: string): EuView {
    const eu = this.eus.resolve(ref);
    return {
      id: eu.id,
      name: eu.manifest.name,
      version: eu.manifest.version,
      description: eu.manifest.description,
      publishedAt: eu.publishedAt,
      manifest: eu.manifest,
      files: eu.files,
    };
  }

  /** Submits tasks; `authorization` (the request's header) names the paying account for a priced EU. */
  async submitTasks(request: SubmitTasksRequest, authorization?: string): Promise<SubmitTasksResponse> {
    const caller = await this.accounts.identify(authorization);
    const owner = ownerOf(caller, this.config.allowAnonymous);
    if (owner === null) {
      throw new CortenError(
        'ANONYMOUS_DISABLED',
        'this coordinator does not take submissions without a key: send an account API key ' +
          '(Authorization: Bearer ck_…), or start it with --allow-anonymous',
      );
    }
    const eu = this.eus.resolve(request.eu);
    if (request.inputs.length > this.config.maxBatchSize) {
      throw new CortenError(
        'PAYLOAD_TOO_LARGE',
        `a submission holds at most ${this.config.maxBatchSize} inputs; split the batch`,
      );
    }
    // Before anything recurses into an input (stringifying, schema checks, hashing).
    const deep = request.inputs.findIndex((input) => valueTooDeep(input, MAX_VALUE_DEPTH));
    if (deep >= 0) {
      throw new CortenError(
        'JSON_TOO_DEEP',
        `inputs[${deep}] nests deeper than ${MAX_VALUE_DEPTH} levels. Nothing was submitted.`,
        { details: { index: deep } },
      );
    }
    const problems: { index: number; message: string }[] = [];
    const inputs = request.inputs.map((input, index) => {
      const text = JSON.stringify(input);
      if (text.length > this.config.maxInputBytes) {
        problems.push({ index, message: `input is ${text.length} bytes; the limit is ${this.config.maxInputBytes}` });
      } else {
        const problem = eu.checkInput(input);
        if (problem) problems.push({ index, message: problem });
      }
      return { text, hash: problems.length === 0 ? hashJson(input) : '' };
    });
    if (problems.length > 0) {
      const first = problems[0]!;
      throw new CortenError(
        'INPUT_SCHEMA_MISMATCH',
        `${problems.length} of ${inputs.length} inputs do not match ${eu.manifest.name}@${eu.manifest.version}'s input schema; first, inputs[${first.index}]: ${first.message}. Nothing was submitted.`,
        { details: { problems: problems.slice(0, 100) } },
      );
    }
    const after = this.bus.seq;
    const accountId = caller.kind === 'account' ? caller.accountId : null;
    if (!this.leading && this.store instanceof PostgresStore) {
      // A follower keeps the submission durably for the leader. Only the leader's ledger can escrow a price: it
      // does so when it takes the submission in, and fails its tasks as insufficient_balance if the account
      // cannot pay by then. A priced EU still needs an account, which the follower can tell now.
      if (eu.manifest.price > 0 && accountId === null) {
        throw new CortenError(
          'UNAUTHORIZED',
          `${eu.manifest.name}@${eu.manifest.version} costs ${eu.manifest.price} credits an execution: submit with an account's API key (Authorization: Bearer ck_…); without one only free EUs run`,
        );
      }
      const taskIds = inputs.map(() => newId('t'));
      await this.store.inbox.add({
        euId: eu.id,
        owner,
        accountId,
        inputs,
        taskIds,
        receivedAt: Date.now(),
        receivedBy: this.instance,
      });
      return { euId: eu.id, taskIds, after, escrowed: 0 };
    }
    const taskIds = await this.engine.submit(eu, inputs, owner, accountId);
    const escrowed = eu.manifest.price > 0 ? eu.manifest.price * eu.manifest.verification.quorum * taskIds.length : 0;
    return { euId: eu.id, taskIds, after, escrowed };
  }

  capableOperators(euId: string): number {
    const eu = this.eus.resolve(euId);
    return this.engine.scheduler.capable(this.engine.operators.values(), eu);
  }

  /** The task, when `viewer` may read it; another's task answers exactly as a missing one does. */
  async getTask(id: string, viewer: Viewer): Promise<TaskView> {
    const row = await this.store.getTask(id);
    if (!row || !canRead(requireOwner(viewer), row.owner)) throw new CortenError('TASK_NOT_FOUND', `no task ${id}`);
    const assignments = await this.store.listAssignments(id);
    const winning = row.resultAssignmentId ? assignments.find((a) => a.id === row.resultAssignmentId) : undefined;
    const views: AssignmentView[] = assignments.map((a) => ({
      id: a.id,
      operatorId: a.operatorId,
      attempt: a.attempt,
      status: a.status,
      leasedAt: a.leasedAt,
      leaseExpiresAt: a.leaseExpiresAt,
      finishedAt: a.finishedAt,
      outputHash: a.outputHash,
      errorCode: a.errorCode,
      durationMs: a.durationMs,
      endReason: a.endReason,
      dissenting: a.status === 'rejected' && row.status === 'verified',
    }));
    return {
      ...taskSummary(row),
      verdict:
        row.status === 'verified' && row.outputHash
          ? { outputHash: row.outputHash, output: winning?.output ? JSON.parse(winning.output) : null }
          : null,
      assignments: views,
    };
  }

  /** Task search in `viewer`'s scope (task-operations.ts). */
  listTasks(query: ListTasksQuery, viewer: Viewer): Promise<{ tasks: TaskSummary[]; next: string | null }> {
    return searchTasks(this.taskContext(), query, viewer);
  }

  countTasks(viewer: Viewer): Promise<TaskCountsView> {
    return countTasks(this.taskContext(), viewer);
  }

  /** Resubmits the failed tasks among `ids` that `viewer` may act on, each as a new task. */
  retryTasks(ids: readonly string[], viewer: Viewer): Promise<BulkTasksResponse> {
    return retryTasks(this.taskContext(), ids, viewer);
  }

  /** Cancels the open tasks among `ids` that `viewer` may act on. */
  cancelTasks(ids: readonly string[], viewer: Viewer): Promise<BulkTasksResponse> {
    return cancelTasks(this.taskContext(), ids, viewer);
  }

  private taskContext(): TaskOperationsContext {
    return {
      store: this.store,
      eus: this.eus,
      submit: (eu, inputs, owner, accountId) => this.engine.submit(eu, inputs, owner, accountId),
      cancel: (ids, owner) => this.engine.cancelTasks(ids, owner),
    };
  }

  /** Events `viewer` may read (ownership.ts), filtered in the store. */
  listEvents(filter: Omit<EventFilter, 'visibleTo'>, viewer: Viewer): Promise<CortenEvent[]> {
    if (viewer.kind === 'all') return this.store.listEvents(filter);
    return this.store.listEvents({ ...filter, visibleTo: viewer.kind === 'owner' ? viewer.owner : null });
  }

  /** What a follower serves of the views only the leader holds (network-views.ts). */
  private networkView(): NetworkView {
    return { operators: this.listOperators(), regions: this.listRegions(), stats: this.stats() };
  }

  /** On a follower, the leader's latest view (null: answer from this coordinator's memory, empty on a follower). */
  private get sharedView(): NetworkView | null {
    return this.leading ? null : (this.viewReader?.latest ?? null);
  }

  listOperators(): OperatorView[] {
    const shared = this.sharedView;
    if (shared) return shared.operators;
    return [...this.engine.operators.values()].map((op) => ({
      id: op.id,
      publicKey: op.publicKey,
      region: op.region,
      status: op.status,
      statusReason: op.statusReason,
      connected: op.conn !== null,
      resources: op.resources,
      maxConcurrent: op.maxConcurrent,
      slots: op.slots,
      active: op.active.size,
      firstSeenAt: op.firstSeenAt,
      lastSeenAt: op.lastSeenAt,
      ...operatorSummary(this.engine.trust, op.id, this.engine.now()),
    }));
  }

  getOperator(id: string): OperatorView {
    const op = this.listOperators().find((o) => o.id === id);
    if (!op) throw new CortenError('OPERATOR_NOT_FOUND', `no operator ${id}`);
    return op;
  }

  async operatorHistory(id: string, since: number, limit: number): Promise<OperatorHistoryView> {
    if (!(await this.store.getOperator(id))) throw new CortenError('OPERATOR_NOT_FOUND', `no operator ${id}`);
    const rows = await this.store.trust.listOperatorSamples(id, since, limit);
    return { operatorId: id, samples: rows.map(({ operatorId: _id, ...sample }) => sample) };
  }

  listRegions(): RegionView[] {
    const shared = this.sharedView;
    if (shared) return shared.regions;
    const byRegion = new Map<string, RegionView>();
    for (const op of this.engine.operators.values()) {
      let view = byRegion.get(op.region);
      if (!view) {
        view = { region: op.region, down: false, source: '', reason: '', operators: 0, online: 0 };
        byRegion.set(op.region, view);
      }
      view.operators += 1;
      if (op.conn) view.online += 1;
    }
    for (const mark of this.engine.regions.list()) {
      const view = byRegion.get(mark.region) ?? {
        region: mark.region,
        down: false,
        source: '',
        reason: '',
        operators: 0,
        online: 0,
      };
      Object.assign(view, { down: mark.down, source: mark.source, reason: mark.reason });
      byRegion.set(mark.region, view);
    }
    return [...byRegion.values()].sort((a, b) => a.region.localeCompare(b.region));
  }

  setRegion(region: string, down: boolean, reason: string): Promise<void> {
    return this.engine.setRegion(region, down, reason);
  }

  stats(): Stats {
    const shared = this.sharedView;
    if (shared) return shared.stats;
    // Online means connected and usable: a suspended operator may keep its socket but gets no work.
    let online = 0;
    for (const op of this.engine.operators.values()) if (op.conn && op.status !== 'suspended') online += 1;
    return {
      tasks: {
        submitted: this.finished.submitted,
        open: this.engine.tasks.size,
        queued: this.engine.scheduler.queued,
        verified: this.finished.verified,
        failed: this.finished.failed,
      },
      operators: { online, total: this.engine.operators.size },
      scheduling: this.engine.metrics.scheduling(),
    };
  }

  /** Prometheus text exposition of the coordinator's metrics. */
  async metricsText(): Promise<{ contentType: string; body: string }> {
    const m = this.engine.metrics;
    m.operatorsOnline.set(this.stats().operators.online);
    m.queued.set(this.engine.scheduler.queued);
    m.openTasks.set(this.engine.tasks.size);
    return { contentType: m.registry.contentType, body: await m.registry.metrics() };
  }
}
