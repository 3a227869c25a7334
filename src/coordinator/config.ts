/**
 * Coordinator settings, with the reasoning behind each default.
 */

export interface CoordinatorConfig {
  /** Data folder of the embedded store. */
  dataDir: string;
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
  /** Assignments a task may receive in all before it fails as `attempts_exhausted`. */
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
}

export function defaultConfig(overrides: Partial<CoordinatorConfig> = {}): CoordinatorConfig {
  return {
    dataDir: '.data',
    host: '127.0.0.1',
    port: 7070,
    heartbeatIntervalMs: 500,
    heartbeatMissThreshold: 3,
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
    ...overrides,
  };
}

export function offlineAfterMs(config: CoordinatorConfig): number {
  return config.heartbeatIntervalMs * config.heartbeatMissThreshold;
}
