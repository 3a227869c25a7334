/**
 * The coordinator process: the store, the engine, the HTTP API and the
 * operator gateway, put together and started in order (store → memory from
 * the store → built-in EUs → listening), and stopped in reverse.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
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
  type OperatorView,
  type PublishEuRequest,
  type PublishEuResponse,
  type RegionView,
  type Stats,
  type SubmitTasksRequest,
  type SubmitTasksResponse,
  type TaskView,
} from '../../protocol/index.js';
import { ChangeSet, DataDirLock, openStore, type EventFilter, type Store } from '../../store/index.js';
import { defaultConfig, type CoordinatorConfig } from '../config/index.js';
import { Engine, EventBus, recover, type RecoveryReport } from '../engine/index.js';
import { EuRegistry } from '../memory/index.js';
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
import { OperatorGateway } from '../gateway/index.js';
import { Accounts, canRead, NETWORK_OWNER, ownerOf, requireOwner, type Viewer, viewerOf } from '../economics/index.js';
import { operatorSummary } from '../trust/index.js';
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
  private gateway!: OperatorGateway;
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

  constructor(config: Partial<CoordinatorConfig> = {}, log?: Logger) {
    this.config = defaultConfig(config);
    this.log = log ?? pino({ level: this.config.logLevel, base: { part: 'coordinator' } });
    this.bus = new EventBus((error) => this.log.error({ err: error }, 'event listener failed'));
    this.eus = new EuRegistry(inputCheckFor);
  }

  /** Opens the store, rebuilds memory, publishes built-in EUs and starts listening. Returns the base URL. */
  async start(): Promise<string> {
    // Before anything reads or migrates the store: a second coordinator must change nothing.
    if (this.config.dataDir !== ':memory:') this.lock = DataDirLock.acquire(this.config.dataDir);
    try {
      return await this.open();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async open(): Promise<string> {
    this.store = await openStore({ dataDir: this.config.dataDir });
    this.keys = await this.loadIdentity();
    this.id = identityId('co', this.keys.publicKey.toString('hex'));
    this.engine = new Engine({
      store: this.store,
      config: this.config,
      bus: this.bus,
      eus: this.eus,
      log: this.log,
      coordinatorId: this.id,
    });
    this.engine.on('fatal', (error: unknown) => {
      const why =
        coerceError(error).code === 'STALE_FENCE'
          ? 'stale lease fence: the store holds an assignment otherwise than memory does (or another writer changed it)'
          : 'storage failure';
      const message = `${why}: stopping; restart the coordinator to recover from the store`;
      this.log.fatal({ err: error }, message);
      // A non-zero exit, so a supervisor restarts the process and recovery rebuilds memory from the store.
      process.exitCode = 1;
      void this.stop().finally(() => process.emit('SIGTERM'));
    });
    const counts = await this.store.countTasksByStatus();
    this.finished = {
      verified: counts.verified,
      failed: counts.failed,
      submitted: Object.values(counts).reduce((a, b) => a + b, 0),
    };
    this.bus.subscribe((events) => this.count(events));
    this.bus.subscribe((events) => {
      for (const e of events) this.engine.metrics.events.inc({ type: e.type });
    });
    // Before recovery: the alerts of its turn (operators offline across the restart) are delivered too.
    await this.engine.webhooks.load(this.store);
    this.recovery = await recover(this.engine);
    this.accounts = new Accounts(this.store, this.config.adminToken);
    this.trust = new TrustApi({
      engine: this.engine,
      store: this.store,
      eus: this.eus,
      keys: this.keys,
      coordinatorId: this.id,
      accounts: this.accounts,
    });
    this.operatorApi = new OperatorApi({ engine: this.engine, store: this.store });
    this.operatorAuth = new OperatorAuth(this.accounts);
    this.workflows = new WorkflowApi({
      engine: this.engine,
      store: this.store,
      accounts: this.accounts,
      config: this.config,
    });
    if (this.config.publishBuiltinEus) {
      for (const pkg of await loadBuiltinEus()) await this.publishAs(pkg, NETWORK_OWNER);
    }
    this.gateway = new OperatorGateway(this.engine);
    this.app = this.buildApp();
    await this.app.listen({ host: this.config.host, port: this.config.port });
    const address = this.app.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    this.url = `http://${this.config.host}:${port}`;
    this.lock?.describe({ url: this.url, coordinatorId: this.id });
    this.engine.startTimers();
    this.dispatcher = new WebhookDispatcher({
      store: this.store,
      registry: this.engine.webhooks,
      command: (fn) => this.engine.command(fn),
      config: this.config,
      log: this.log,
    });
    this.dispatcher.start();
    this.log.info({ url: this.url, coordinatorId: this.id, recovery: this.recovery }, 'coordinator listening');
    return this.url;
  }

  async stop(): Promise<void> {
    this.dispatcher?.stop();
    await this.engine?.stop();
    this.gateway?.closeAll();
    await this.app?.close();
    await this.store?.close();
    this.lock?.release();
    this.lock = null;
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
    void app.register(websocket, { options: { maxPayload: MAX_OPERATOR_FRAME_BYTES } });
    void app.register(async (scoped) => {
      scoped.route({
        method: 'GET',
        url: '/v1/operators/connect',
        // A plain GET gets the envelope, not the plugin's empty 404.
        handler: async () => {
          throw new CortenError(
            'UPGRADE_REQUIRED',
            "this is the operators' WebSocket: connect with a WebSocket client (corten operator)",
          );
        },
        wsHandler: (socket) => this.gateway.accept(socket),
      });
      euRoutes(scoped, this);
      taskRoutes(scoped, this);
      networkRoutes(scoped, this);
      eventRoutes(scoped, this);
      accountRoutes(scoped, this);
      stakeRoutes(scoped, this);
      ledgerRoutes(scoped, this);
      operatorRoutes(scoped, { api: this.operatorApi, auth: this.operatorAuth });
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

  listOperators(): OperatorView[] {
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

  listRegions(): RegionView[] {
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
