/**
 * The typed SDK for the coordinator's API. The CLI, the simulator, the
 * benchmarks and the tests all talk to a coordinator through it.
 *
 *   const corten = new CortenClient('http://127.0.0.1:7070');
 *   const { taskIds } = await corten.submitTasks('news-summarize', articles);
 *   const done = await corten.waitForTasks(taskIds);
 *   const { body, taskId } = await corten.createChatCompletion({ model: 'llm-chat', messages });
 *
 * Every route of the API has a method (sdk-operations.ts says which).
 *
 * Several coordinators sharing one store: give their URLs separated by
 * commas. A request that finds a coordinator down, or a follower that
 * answers NOT_LEADER to a write, goes on to the leader it names or the next
 * URL; event streams resume on the next URL when theirs breaks.
 */
import { createParser } from 'eventsource-parser';
import type { z } from 'zod';
import { answerStream, type AnswerStream } from './answer-stream.js';
import { errorFrom, parseOrText } from './api-error.js';
import { followEvents, type FollowOptions } from './event-follower.js';
import type {
  Answered,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  ModelObject,
  TextCompletion,
  TextCompletionChunk,
} from './openai-types.js';
import {
  CortenError,
  coerceError,
  type CortenEvent,
  type EuSummary,
  type EuView,
  type EventsPage,
  type EventType,
  type OperatorHistoryView,
  type OperatorView,
  type PublishEuRequest,
  type Stats,
  type PublishEuResponse,
  type RegionView,
  type SubmitTasksResponse,
  type TaskView,
  type AccountView,
  type BulkTasksResponse,
  type TaskCountsView,
  type BalancesView,
  type CreatedAccount,
  type LedgerEntry,
  type LedgerPage,
  type Receipt,
  type ReputationView,
  type StakeView,
  signRequest,
  type CreatedWebhook,
  type KeyPair,
  type OperatorStandingView,
  type RegisterWebhookRequest,
  type WebhookDeliveryView,
  type WebhookView,
  type JobStatus,
  type JobSummary,
  type JobView,
  type PublishWorkflowResponse,
  type SubmitJobsResponse,
  type UpgradeWorkflowResponse,
  type WorkflowSummary,
  type WorkflowView,
  type HealthSchema,
} from '../protocol/index.js';

export interface ClientOptions {
  /** An account's API key (`ck_…`): submissions are paid from its balance. Default: $CORTEN_API_KEY. */
  apiKey?: string;
  /** The coordinator's admin token, for accounts, deposits and stake. Default: $CORTEN_ADMIN_TOKEN. */
  adminToken?: string;
  /**
   * An operator's key pair (from its key file): requests for that operator's
   * standing and webhooks are signed with it. Without it they carry the admin token.
   */
  operatorKeys?: KeyPair;
}

/**
 * Which token a request carries: `caller` the API key, or the admin token
 * when there is no key (the admin reads everything); `key` the API key only;
 * `admin` the admin token; `none` nothing (the network's public face).
 */
type Auth = 'caller' | 'key' | 'admin' | 'none';

/** `GET /v1/health`: liveness, and the coordinator's id. */
export type Health = z.infer<typeof HealthSchema>;

/** The OpenAPI 3.1 document, as far as a program reading it needs its shape. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, { operationId?: string; tags?: string[]; summary?: string }>>;
  components?: { schemas?: Record<string, unknown> };
}

/** How a call of the OpenAI-compatible endpoint waits: aborting `signal` stops the wait, never the task. */
export interface AnswerOptions {
  signal?: AbortSignal;
}

/** A task as `GET /v1/tasks` lists it: without its assignments and verdict. */
export type TaskSummary = Omit<TaskView, 'assignments' | 'verdict'>;

/** Filters of a task search (GET /v1/tasks); times in ms since the epoch. */
export interface TaskSearch {
  id?: string;
  eu?: string;
  status?: string;
  failure?: string;
  operator?: string;
  region?: string;
  since?: number;
  until?: number;
  order?: 'asc' | 'desc';
  after?: string;
  limit?: number;
}

export interface EventQuery {
  after?: number;
  limit?: number;
  taskId?: string;
  operatorId?: string;
  types?: EventType[];
}

export interface EventStream {
  /** Resolves when the stream is open and replaying. */
  ready: Promise<void>;
  close(): void;
  /** Resolves when the stream ends (closed by either side). */
  done: Promise<void>;
}

/** How `waitForTasks` waits; the reconnect settings are the follower's. */
export type WaitOptions = { after?: number; timeoutMs?: number; onProgress?: (settled: number) => void } & Omit<
  FollowOptions,
  'signal'
>;

/** How long a write keeps looking for a leader (a takeover takes a second or two). */
const LEADER_SEARCH_MS = 10_000;
/** Wait between two tries while no coordinator leads. */
const LEADER_RETRY_MS = 200;

export class CortenClient {
  private readonly urls: string[];
  private target = 0;

  private readonly apiKey: string | undefined;
  private readonly adminToken: string | undefined;
  private readonly operatorKeys: KeyPair | undefined;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    this.urls = baseUrl
      .split(',')
      .map((u) => u.trim().replace(/\/$/, ''))
      .filter((u) => u.length > 0);
    if (this.urls.length === 0) throw new CortenError('VALIDATION_FAILED', 'no coordinator URL given');
    this.apiKey = options.apiKey ?? process.env.CORTEN_API_KEY;
    this.adminToken = options.adminToken ?? process.env.CORTEN_ADMIN_TOKEN;
    this.operatorKeys = options.operatorKeys;
  }

  /** The coordinator this client talks to now (the first of its URLs until one fails). */
  get baseUrl(): string {
    return this.urls[this.target]!;
  }

  /** Moves to `toward` when it is one of the URLs, else to the next one. */
  private rotate(toward?: unknown): void {
    const at = typeof toward === 'string' ? this.urls.indexOf(toward.replace(/\/$/, '')) : -1;
    this.target = at >= 0 ? at : (this.target + 1) % this.urls.length;
  }

  private token(auth: Auth): string | undefined {
    if (auth === 'caller') return this.apiKey ?? this.adminToken;
    return auth === 'key' ? this.apiKey : auth === 'admin' ? this.adminToken : undefined;
  }

  /** Sends a request; answers the response when it is a success, throws the API's error otherwise. */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    auth: Auth | 'operator' = 'caller',
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (auth === 'operator' && this.operatorKeys) {
      Object.assign(headers, signRequest(this.operatorKeys, method, path, body));
    } else {
      const token = this.token(auth === 'operator' ? 'admin' : auth);
      if (token) headers.authorization = `Bearer ${token}`;
    }
    const init: RequestInit = { method, headers };
    if (signal) init.signal = signal;
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const more = this.urls.length > 1 && Date.now() - started < LEADER_SEARCH_MS;
      let response: Response;
      try {
        response = await fetch(`${this.baseUrl}${path}`, init);
      } catch (error) {
        // A read may go anywhere; a write only when the connection was refused (it cannot have landed).
        if (more && !signal?.aborted && (method === 'GET' || connectionRefused(error))) {
          this.rotate();
          if (attempt % this.urls.length === 0) await delay(LEADER_RETRY_MS);
          continue;
        }
        throw error;
      }
      if (response.ok) return response;
      const error = errorFrom(response.status, parseOrText(await response.text()));
      if (error.code === 'NOT_LEADER' && more) {
        const leader = (error.details as { leader?: unknown } | undefined)?.leader;
        this.rotate(leader);
        if (!leader || attempt % this.urls.length === 0) await delay(LEADER_RETRY_MS);
        continue;
      }
      throw error;
    }
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    auth: Auth | 'operator' = 'caller',
  ): Promise<T> {
    const text = await (await this.send(method, path, body, auth)).text();
    return (text.length > 0 ? JSON.parse(text) : undefined) as T;
  }

  /** A whole answer of the OpenAI-compatible endpoint, with its task id. */
  private async answer<T>(path: string, body: unknown, options: AnswerOptions): Promise<Answered<T>> {
    const response = await this.send('POST', path, body, 'caller', options.signal);
    return { body: (await response.json()) as T, taskId: response.headers.get('x-corten-task-id') ?? '' };
  }

  /** A streamed answer: resolves once the stream is open (refusals throw here), then yields its chunks. */
  private async answerStream<T>(path: string, body: object, options: AnswerOptions): Promise<AnswerStream<T>> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    // The stream aborts its own controller when it ends: the caller's signal lets go of it then.
    controller.signal.addEventListener('abort', () => options.signal?.removeEventListener('abort', stop), {
      once: true,
    });
    try {
      const response = await this.send('POST', path, { ...body, stream: true }, 'caller', controller.signal);
      return answerStream<T>(response, controller, errorFrom);
    } catch (error) {
      controller.abort();
      throw error;
    }
  }

  publishEu(pkg: PublishEuRequest): Promise<PublishEuResponse> {
    return this.request('POST', '/v1/eus', pkg);
  }

  async listEus(): Promise<EuSummary[]> {
    return (await this.request<{ eus: EuSummary[] }>('GET', '/v1/eus')).eus;
  }

  getEu(ref: string): Promise<EuView> {
    return this.request('GET', `/v1/eus/${encodeURIComponent(ref)}`);
  }

  submitTasks(eu: string, inputs: unknown[]): Promise<SubmitTasksResponse> {
    return this.request('POST', '/v1/tasks', { eu, inputs });
  }

  getTask(id: string): Promise<TaskView> {
    return this.request('GET', `/v1/tasks/${encodeURIComponent(id)}`);
  }

  /** One page of the tasks this client may read (its account's; all of them for the admin), oldest first. */
  async listTasks(query: TaskSearch = {}): Promise<TaskSummary[]> {
    return (await this.searchTasks(query)).tasks;
  }

  /**
   * Task search: filters combine; pass `next` back as `after` for the following page (null on the last).
   * Scoped like listTasks.
   */
  searchTasks(query: TaskSearch = {}): Promise<{ tasks: TaskSummary[]; next: string | null }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return this.request('GET', `/v1/tasks?${params.toString()}`);
  }

  /** Tasks by status, and failed ones by reason, in this client's scope. */
  countTasks(): Promise<TaskCountsView> {
    return this.request('GET', '/v1/tasks/counts');
  }

  /** Retries failed tasks this client may act on, each as a new task; the others are refused one by one. */
  retryTasks(ids: string[]): Promise<BulkTasksResponse> {
    return this.request('POST', '/v1/tasks/retry', { ids });
  }

  /** Cancels open tasks this client may act on (they fail as `cancelled`, escrow refunded); finished ones refused. */
  cancelTasks(ids: string[]): Promise<BulkTasksResponse> {
    return this.request('POST', '/v1/tasks/cancel', { ids });
  }

  // ---- workflows and jobs ----------------------------------------------------------

  /** Publishes a workflow version: the document as an object, or as YAML or JSON text. */
  publishWorkflow(document: object | string): Promise<PublishWorkflowResponse> {
    return this.request('POST', '/v1/workflows', { document });
  }

  async listWorkflows(): Promise<WorkflowSummary[]> {
    return (await this.request<{ workflows: WorkflowSummary[] }>('GET', '/v1/workflows')).workflows;
  }

  /** A version by `wf_…`, `name@version`, or a name (its latest). */
  getWorkflow(ref: string): Promise<WorkflowView> {
    return this.request('GET', `/v1/workflows/${encodeURIComponent(ref)}`);
  }

  /** Moves jobs of `name` to `version`: running ones (`running`), finished ones' new steps (`backfill`). */
  upgradeWorkflow(
    name: string,
    options: { version: string; running?: boolean; backfill?: boolean; dryRun?: boolean },
  ): Promise<UpgradeWorkflowResponse> {
    return this.request('POST', `/v1/workflows/${encodeURIComponent(name)}/upgrade`, options);
  }

  /** One job per input, all or none, with the escrow of every step reserved. */
  submitJobs(workflow: string, inputs: unknown[]): Promise<SubmitJobsResponse> {
    return this.request('POST', '/v1/jobs', { workflow, inputs });
  }

  getJob(id: string): Promise<JobView> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** One page of jobs, oldest first; pass the last id as `after` for the next. */
  async listJobs(
    query: { workflow?: string; status?: string; after?: string; limit?: number } = {},
  ): Promise<JobSummary[]> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return (await this.request<{ jobs: JobSummary[] }>('GET', `/v1/jobs?${params.toString()}`)).jobs;
  }

  cancelJob(id: string): Promise<JobView> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`, {});
  }

  /**
   * Waits until every job is completed, failed or cancelled; returns each one's
   * status. Like `waitForTasks` it follows the event stream (from `after`, or from
   * now with a status check on every connect), resuming across restarts.
   */
  async waitForJobs(
    jobIds: readonly string[],
    options: { after?: number; timeoutMs?: number; onEvent?: (event: CortenEvent) => void } = {},
  ): Promise<Map<string, JobStatus>> {
    const pending = new Set(jobIds);
    const done = new Map<string, JobStatus>();
    if (pending.size === 0) return done;
    const stop = new AbortController();
    const settle = (id: string, status: JobStatus) => {
      if (status === 'running' || !pending.delete(id)) return;
      done.set(id, status);
      if (pending.size === 0) stop.abort();
    };
    let checks = Promise.resolve();
    const timer = options.timeoutMs ? setTimeout(() => stop.abort(), options.timeoutMs) : undefined;
    const types: EventType[] = ['job.completed', 'job.failed', 'job.cancelled'];
    if (options.onEvent) types.push('job.step.ready', 'job.step.started', 'job.step.finished', 'job.upgraded');
    const events = this.follow(
      { after: options.after, types },
      {
        signal: stop.signal,
        onConnect: () => {
          if (options.after !== undefined) return;
          checks = checks.then(async () => {
            for (const id of [...pending]) settle(id, (await this.getJob(id)).status);
          });
        },
      },
    );
    const ended: Record<string, JobStatus> = {
      'job.completed': 'completed',
      'job.failed': 'failed',
      'job.cancelled': 'cancelled',
    };
    try {
      for await (const e of events) {
        const jobId = (e.data as { jobId?: string }).jobId;
        if (!jobId || !pending.has(jobId)) continue;
        options.onEvent?.(e);
        const status = ended[e.type];
        if (status) settle(jobId, status);
      }
      await checks;
    } finally {
      clearTimeout(timer);
    }
    if (pending.size > 0) throw new CortenError('INTERNAL', `timed out with ${pending.size} jobs unfinished`);
    return done;
  }

  // ---- trust and economics -------------------------------------------------------

  /** Admin: a new developer account; its API key is in the answer, once. */
  createAccount(name: string): Promise<CreatedAccount> {
    return this.request('POST', '/v1/accounts', { name }, 'admin');
  }

  /** Admin: credits into an account. */
  deposit(accountId: string, amount: number): Promise<AccountView & { entryId: string }> {
    return this.request('POST', `/v1/accounts/${encodeURIComponent(accountId)}/deposits`, { amount }, 'admin');
  }

  /** The account of this client's API key, or (admin) any account. */
  getAccount(accountId?: string): Promise<AccountView> {
    if (!accountId) return this.request('GET', '/v1/account', undefined, 'key');
    return this.request(
      'GET',
      `/v1/accounts/${encodeURIComponent(accountId)}`,
      undefined,
      this.adminToken ? 'admin' : 'key',
    );
  }

  getStake(operatorId: string): Promise<StakeView & { pendingWithdrawals: { amount: number; availableAt: number }[] }> {
    return this.request('GET', `/v1/operators/${encodeURIComponent(operatorId)}/stake`, undefined, 'none');
  }

  /** Admin: bonds credits as an operator's stake. */
  stake(operatorId: string, amount: number): Promise<StakeView & { entryId: string }> {
    return this.request('POST', `/v1/operators/${encodeURIComponent(operatorId)}/stake`, { amount }, 'admin');
  }

  /** Admin: starts unbonding stake; it is paid out after the unbonding period. */
  unstake(operatorId: string, amount: number): Promise<StakeView & { availableAt: number }> {
    return this.request(
      'POST',
      `/v1/operators/${encodeURIComponent(operatorId)}/stake/withdrawals`,
      { amount },
      'admin',
    );
  }

  /** Admin: pays out an operator's earnings. */
  payEarnings(operatorId: string, amount: number): Promise<StakeView & { entryId: string }> {
    return this.request(
      'POST',
      `/v1/operators/${encodeURIComponent(operatorId)}/earnings/withdrawals`,
      { amount },
      'admin',
    );
  }

  reinstate(operatorId: string): Promise<OperatorView> {
    return this.request('POST', `/v1/operators/${encodeURIComponent(operatorId)}/reinstate`, {}, 'admin');
  }

  /** An operator's standing: status, stake, earnings, slashes with their reasons, reputation. Signed or admin. */
  getStanding(operatorId: string): Promise<OperatorStandingView> {
    return this.request('GET', `/v1/operators/${encodeURIComponent(operatorId)}/standing`, undefined, 'operator');
  }

  /** Registers a webhook for an operator's alerts; the answer holds its HMAC secret, shown once. Signed or admin. */
  registerWebhook(operatorId: string, webhook: RegisterWebhookRequest): Promise<CreatedWebhook> {
    return this.request('POST', `/v1/operators/${encodeURIComponent(operatorId)}/webhooks`, webhook, 'operator');
  }

  async listWebhooks(operatorId: string): Promise<WebhookView[]> {
    const path = `/v1/operators/${encodeURIComponent(operatorId)}/webhooks`;
    return (await this.request<{ webhooks: WebhookView[] }>('GET', path, undefined, 'operator')).webhooks;
  }

  removeWebhook(operatorId: string, webhookId: string): Promise<WebhookView> {
    const path = `/v1/operators/${encodeURIComponent(operatorId)}/webhooks/${encodeURIComponent(webhookId)}`;
    return this.request('DELETE', path, undefined, 'operator');
  }

  /** A webhook's latest deliveries, newest first, each with its log of attempts. */
  async listWebhookDeliveries(operatorId: string, webhookId: string, limit?: number): Promise<WebhookDeliveryView[]> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    const path = `/v1/operators/${encodeURIComponent(operatorId)}/webhooks/${encodeURIComponent(webhookId)}/deliveries${query}`;
    return (await this.request<{ deliveries: WebhookDeliveryView[] }>('GET', path, undefined, 'operator')).deliveries;
  }

  getReputation(operatorId: string): Promise<ReputationView> {
    return this.request('GET', `/v1/operators/${encodeURIComponent(operatorId)}/reputation`, undefined, 'none');
  }

  /** Admin: one page of ledger entries. */
  ledgerEntries(after = 0, limit = 1000): Promise<LedgerPage> {
    return this.request('GET', `/v1/ledger/entries?after=${after}&limit=${limit}`, undefined, 'admin');
  }

  /** Admin: every ledger entry, following pages. */
  async allLedgerEntries(): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    let after = 0;
    for (;;) {
      const page = await this.ledgerEntries(after, 5000);
      out.push(...page.entries);
      if (page.entries.length < 5000) return out;
      after = page.next;
    }
  }

  /** Admin: every account's balance as the coordinator keeps it. */
  ledgerBalances(): Promise<BalancesView> {
    return this.request('GET', '/v1/ledger/balances', undefined, 'admin');
  }

  getReceipt(taskId: string): Promise<Receipt> {
    return this.request('GET', `/v1/tasks/${encodeURIComponent(taskId)}/receipt`);
  }

  getOperator(operatorId: string): Promise<OperatorView> {
    return this.request('GET', `/v1/operators/${encodeURIComponent(operatorId)}`, undefined, 'none');
  }

  /**
   * The operator's standing over time (a sample when it moved, at most one a minute, kept a day):
   * the latest `limit` samples at or after `since` (ms), oldest first.
   */
  operatorHistory(operatorId: string, query: { since?: number; limit?: number } = {}): Promise<OperatorHistoryView> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const path = `/v1/operators/${encodeURIComponent(operatorId)}/history?${params.toString()}`;
    return this.request('GET', path, undefined, 'none');
  }

  /** The WebSocket URL operators' agents connect to (`corten operator --coordinator` derives it). */
  operatorConnectUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/v1/operators/connect`;
  }

  async listOperators(): Promise<OperatorView[]> {
    return (await this.request<{ operators: OperatorView[] }>('GET', '/v1/operators')).operators;
  }

  async listRegions(): Promise<RegionView[]> {
    return (await this.request<{ regions: RegionView[] }>('GET', '/v1/regions')).regions;
  }

  async setRegion(region: string, down: boolean, reason?: string): Promise<RegionView[]> {
    const body: { down: boolean; reason?: string } = { down };
    if (reason) body.reason = reason;
    const path = `/v1/regions/${encodeURIComponent(region)}`;
    return (await this.request<{ regions: RegionView[] }>('PUT', path, body, 'admin')).regions;
  }

  /** Who leads among the coordinators sharing a store, as the one asked knows it (a lone coordinator leads). */
  getLeader(): Promise<{ role: 'leader' | 'follower'; leader: string | null; epoch: number | null; url: string }> {
    return this.request('GET', '/v1/leader', undefined, 'none');
  }

  stats(): Promise<Stats> {
    return this.request('GET', '/v1/stats');
  }

  /** Liveness, and the coordinator's id. */
  health(): Promise<Health> {
    return this.request('GET', '/v1/health', undefined, 'none');
  }

  /** The coordinator's Prometheus metrics, in the text exposition format. */
  async metrics(): Promise<string> {
    return (await this.send('GET', '/metrics', undefined, 'none')).text();
  }

  /** The API's OpenAPI 3.1 document. */
  openApi(): Promise<OpenApiDocument> {
    return this.request('GET', '/v1/openapi.json', undefined, 'none');
  }

  /** The API reference page (HTML). */
  async referencePage(): Promise<string> {
    return (await this.send('GET', '/docs', undefined, 'none')).text();
  }

  /** The web dashboard's page (a single-page app). */
  async dashboardPage(): Promise<string> {
    return (await this.send('GET', '/', undefined, 'none')).text();
  }

  /** One of the dashboard's built files (`/assets/<name>`). */
  async dashboardAsset(name: string): Promise<{ contentType: string; body: Uint8Array }> {
    const response = await this.send('GET', `/assets/${encodeURIComponent(name)}`, undefined, 'none');
    const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
    return { contentType, body: new Uint8Array(await response.arrayBuffer()) };
  }

  /** One of the reference page's files (`swagger-ui.css`, `swagger-ui-bundle.js` …). */
  async referenceAsset(name: string): Promise<{ contentType: string; body: Uint8Array }> {
    const response = await this.send('GET', `/docs/${encodeURIComponent(name)}`, undefined, 'none');
    const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
    return { contentType, body: new Uint8Array(await response.arrayBuffer()) };
  }

  // ---- the OpenAI-compatible endpoint: verified answers in OpenAI's shapes -----------------------------------------

  /** The models: chat and embedding EUs, with price, verification policy and context length. */
  async listModels(): Promise<ModelObject[]> {
    return (await this.request<{ object: 'list'; data: ModelObject[] }>('GET', '/v1/models')).data;
  }

  getModel(id: string): Promise<ModelObject> {
    return this.request('GET', `/v1/models/${encodeURIComponent(id)}`);
  }

  /** A verified chat answer, once its replicas agreed; `body.corten` names its task, receipt and verdict. */
  createChatCompletion(request: ChatCompletionRequest, options: AnswerOptions = {}): Promise<Answered<ChatCompletion>> {
    return this.answer('/v1/chat/completions', { ...request, stream: false }, options);
  }

  /**
   * The same answer streamed: `chat.completion.chunk` events once verified, the last with usage.
   *
   *   const answer = await corten.streamChatCompletion({ model: 'llm-chat', messages });
   *   for await (const chunk of answer) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
   */
  streamChatCompletion(
    request: ChatCompletionRequest,
    options: AnswerOptions = {},
  ): Promise<AnswerStream<ChatCompletionChunk>> {
    return this.answerStream('/v1/chat/completions', request, options);
  }

  /** A verified legacy completion. */
  createCompletion(request: CompletionRequest, options: AnswerOptions = {}): Promise<Answered<TextCompletion>> {
    return this.answer('/v1/completions', { ...request, stream: false }, options);
  }

  streamCompletion(
    request: CompletionRequest,
    options: AnswerOptions = {},
  ): Promise<AnswerStream<TextCompletionChunk>> {
    return this.answerStream('/v1/completions', request, options);
  }

  /** Embeddings, verified exactly. */
  createEmbedding(request: EmbeddingRequest, options: AnswerOptions = {}): Promise<Answered<EmbeddingList>> {
    return this.answer('/v1/embeddings', request, options);
  }

  events(query: EventQuery = {}): Promise<EventsPage> {
    return this.request('GET', `/v1/events?${eventParams(query)}`);
  }

  /** Every event matching the query, following pages to the end of the log. */
  async allEvents(query: EventQuery = {}): Promise<CortenEvent[]> {
    const out: CortenEvent[] = [];
    let after = query.after ?? 0;
    for (;;) {
      const page = await this.events({ ...query, after, limit: 5000 });
      out.push(...(page.events as CortenEvent[]));
      if (page.events.length < 5000) return out;
      after = page.next;
    }
  }

  /**
   * Follows the live event stream (Server-Sent Events). With `after`, it first
   * replays every event after that position. Calls `onEvent` for each event.
   */
  stream(query: EventQuery, onEvent: (event: CortenEvent) => void): EventStream {
    const controller = new AbortController();
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const done = (async () => {
      try {
        const token = this.token('caller');
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        const url = `${this.baseUrl}/v1/events/stream?${eventParams(query)}`;
        const response = await fetch(url, { signal: controller.signal, headers });
        if (!response.ok || !response.body)
          throw errorFrom(response.status, await response.json().catch(() => undefined));
        const parser = createParser({ onEvent: (message) => onEvent(JSON.parse(message.data) as CortenEvent) });
        const decoder = new TextDecoder();
        let first = true;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (first) {
            first = false;
            markReady();
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        markReady();
      }
    })();
    return { ready, close: () => controller.abort(), done };
  }

  /**
   * Follows the live event stream as an async iterator that survives
   * disconnects and coordinator restarts: it reconnects with backoff and
   * resumes after the last event it delivered, so no event is lost or
   * repeated. With `after`, it first replays every event after that
   * position; without, it starts from now. Stop it by leaving the loop or
   * aborting `options.signal`.
   *
   *   for await (const e of corten.follow({ types: ['task.verified'] })) console.log(e.taskId);
   */
  follow(query: EventQuery = {}, options: FollowOptions = {}): AsyncGenerator<CortenEvent> {
    const headers: Record<string, string> = {};
    const token = this.token('caller');
    if (token) headers.authorization = `Bearer ${token}`;
    const request = {
      url: (position: number | undefined) =>
        `${this.baseUrl}/v1/events/stream?${eventParams({ ...query, after: position })}`,
      headers,
      refusal: errorFrom,
    };
    // A broken stream resumes on the next coordinator: any of them serves the log.
    const onDisconnect: FollowOptions['onDisconnect'] = (info) => {
      if (this.urls.length > 1) this.rotate();
      options.onDisconnect?.(info);
    };
    return followEvents(request, query.after, { ...options, onDisconnect });
  }

  /**
   * Waits until every task has reached verified or failed; returns the final
   * status of each. It follows the event stream, resuming across coordinator
   * restarts, so it costs one request, not a poll per task. With `after`
   * (the log position before the tasks were submitted, as `submitTasks`
   * returns it) it replays from there; without, it asks for each task's
   * status once the stream is open, and again after every reconnect.
   */
  async waitForTasks(
    taskIds: readonly string[],
    options: WaitOptions = {},
  ): Promise<Map<string, 'verified' | 'failed'>> {
    const pending = new Set(taskIds);
    const settled = new Map<string, 'verified' | 'failed'>();
    if (pending.size === 0) return settled;
    const stop = new AbortController();
    let checks = Promise.resolve();
    const settle = (id: string, status: 'verified' | 'failed') => {
      if (!pending.delete(id)) return;
      settled.set(id, status);
      options.onProgress?.(settled.size);
      if (pending.size === 0) stop.abort();
    };
    let refused: CortenError | undefined;
    // Tasks that settled before the stream's position are not in it: read their status.
    const checkStatuses = () => {
      checks = checks.then(async () => {
        for (const id of [...pending]) {
          try {
            const task = await this.getTask(id);
            if (task.status === 'verified' || task.status === 'failed') settle(id, task.status);
          } catch (thrown) {
            const error = coerceError(thrown);
            // Unreachable: the stream breaks too, and its reconnect checks again. Refused: waiting cannot help.
            const status = (error as { httpStatus?: number }).httpStatus;
            if (status !== undefined && status < 500 && status !== 429) {
              refused = error;
              stop.abort();
            }
            return;
          }
        }
      });
    };
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, options.timeoutMs);
    }
    const events = this.follow(
      { after: options.after, types: ['task.verified', 'task.failed'] },
      {
        ...options,
        signal: stop.signal,
        onConnect: (info) => {
          if (options.after === undefined) checkStatuses();
          options.onConnect?.(info);
        },
      },
    );
    try {
      for await (const e of events) {
        if (e.taskId) settle(e.taskId, e.type === 'task.verified' ? 'verified' : 'failed');
      }
      await checks;
    } finally {
      clearTimeout(timer);
    }
    if (refused) throw refused;
    if (timedOut && pending.size > 0) {
      throw new CortenError('INTERNAL', `timed out with ${pending.size} tasks unsettled`);
    }
    return settled;
  }
}

function eventParams(query: EventQuery): string {
  const params = new URLSearchParams();
  if (query.after !== undefined) params.set('after', String(query.after));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.taskId) params.set('taskId', query.taskId);
  if (query.operatorId) params.set('operatorId', query.operatorId);
  if (query.types?.length) params.set('types', query.types.join(','));
  return params.toString();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** fetch failed before anything was sent: nobody listens at that address. */
function connectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED';
}
