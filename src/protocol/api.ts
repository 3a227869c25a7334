/**
 * The coordinator's HTTP API: request schemas (validated at the boundary) and
 * the response shapes the client SDK receives.
 */
import { z } from 'zod';
import type { EuManifest } from './eu-manifest.js';
import { EuFiles, RegionName } from './eu-manifest.js';
import type { EventType } from './events.js';
import { TASK_STATUSES, type AssignmentStatus, type OperatorStatus, type TaskStatus } from './statuses.js';

export const PublishEuRequest = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  files: EuFiles,
});
export type PublishEuRequest = z.infer<typeof PublishEuRequest>;

export const SubmitTasksRequest = z.strictObject({
  /** EU id (`eu_…`), `name@version`, or a name (its latest version). */
  eu: z.string().min(1).max(200),
  /** One task per input. */
  inputs: z.array(z.unknown()).min(1),
});
export type SubmitTasksRequest = z.infer<typeof SubmitTasksRequest>;

/** A time in a query: ms since the epoch. */
const QueryTime = z.coerce.number().int().min(0).max(8_640_000_000_000_000);

/** Task search: every filter is optional and they combine (AND); keyset-paged by `after`. */
export const ListTasksQuery = z.strictObject({
  status: z.enum(TASK_STATUSES).optional(),
  eu: z.string().max(200).optional(),
  /** A task id, or its first characters. */
  id: z.string().min(1).max(128).optional(),
  /** Failed tasks of this reason (unverifiable, attempts_exhausted, eu_error …). */
  failure: z
    .string()
    .max(64)
    .regex(/^[a-z_]+$/)
    .optional(),
  /** Tasks of which some assignment ran on this operator. */
  operator: z.string().max(128).optional(),
  /** Tasks of which some assignment ran on an operator of this region. */
  region: z.string().max(64).optional(),
  /** Submitted at or after, and before, these times (ms since the epoch). */
  since: QueryTime.optional(),
  until: QueryTime.optional(),
  /** asc: oldest first (the default); desc: newest first. */
  order: z.enum(['asc', 'desc']).default('asc'),
  /** The last task id of the previous page. */
  after: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListTasksQuery = z.infer<typeof ListTasksQuery>;

/** Tasks to act on at once (cancel, retry). */
export const BulkTasksRequest = z.strictObject({
  ids: z.array(z.string().min(1).max(128)).min(1).max(1000),
});

/** What a bulk action did: each task done (a retry names the new task), or refused with why. */
export interface BulkTasksResponse {
  done: { id: string; newTaskId?: string }[];
  refused: { id: string; code: string; message: string }[];
}

/** Tasks by status, and the failed ones by reason: the caller's, or all for the admin. */
export interface TaskCountsView {
  byStatus: Record<TaskStatus, number>;
  failures: Record<string, number>;
}

export const ListEventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  taskId: z.string().max(128).optional(),
  operatorId: z.string().max(128).optional(),
  /** Comma-separated event types. */
  types: z.string().max(2000).optional(),
});

/** GET /v1/operators/:id/history: the latest `limit` samples at or after `since`. */
export const OperatorHistoryQuery = z.strictObject({
  since: z.coerce.number().int().min(0).default(0),
  /** A day at one sample a minute (the most the coordinator keeps). */
  limit: z.coerce.number().int().min(1).max(1440).default(1440),
});

export const RegionRequest = z.strictObject({
  down: z.boolean(),
  reason: z.string().max(500).default('set by admin'),
});

export const RegionParam = z.strictObject({ region: RegionName });

export interface EuSummary {
  id: string;
  name: string;
  version: string;
  description: string;
  publishedAt: number;
}

export interface EuView extends EuSummary {
  manifest: EuManifest;
  files: Record<string, string>;
}

export interface PublishEuResponse {
  id: string;
  name: string;
  version: string;
  created: boolean;
}

export interface SubmitTasksResponse {
  euId: string;
  taskIds: string[];
  /** A position in the event log before this submission's events: follow the stream from here to watch the tasks. */
  after: number;
  /** Credits moved from the account's balance to escrow for these tasks (0 for a free EU). */
  escrowed: number;
}

export interface AssignmentView {
  id: string;
  operatorId: string;
  attempt: number;
  status: AssignmentStatus;
  leasedAt: number;
  leaseExpiresAt: number;
  finishedAt: number | null;
  outputHash: string | null;
  errorCode: string | null;
  durationMs: number | null;
  endReason: string | null;
  /** True when the verdict found this result in the minority. */
  dissenting: boolean;
}

export interface TaskView {
  id: string;
  euId: string;
  status: TaskStatus;
  inputHash: string;
  quorum: number;
  maxReplicas: number;
  replicas: number;
  attempts: number;
  submittedAt: number;
  finishedAt: number | null;
  verdict: { outputHash: string; output: unknown } | null;
  failure: { reason: string; message: string } | null;
  assignments: AssignmentView[];
}

export interface OperatorView {
  id: string;
  publicKey: string;
  region: string;
  status: OperatorStatus;
  statusReason: string | null;
  connected: boolean;
  resources: { cpu: number; memoryMb: number; gpuMemoryMb: number; capabilities: string[]; eus: string[] };
  maxConcurrent: number;
  /** Leases the coordinator grants it now: earned by completing leases, cut by releases and degradation. */
  slots: number;
  active: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Bonded stake, in credits, and whether it meets the coordinator's minimum. */
  stake: number;
  eligible: boolean;
  /** The headline reputation figures (GET /v1/operators/:id/reputation has them all). */
  reputation: { score: number; uptime: number; leaseCompletion: number; agreement: number; streak: number };
  /** Credits ever rewarded (withdrawals do not lower it), ever slashed, and how many slashes: running totals. */
  earned: number;
  slashed: number;
  slashes: number;
  /** Median result latency in ms over its recent results (per EU, weighted by samples); null before any. */
  latencyMs: number | null;
}

/** One moment of an operator's standing (kept at most once a minute, for a day). */
export interface OperatorSample {
  ts: number;
  score: number;
  uptime: number;
  agreement: number;
  leaseCompletion: number;
  stake: number;
  /** Its status then, or `offline` when it was not connected. */
  status: string;
}

export interface OperatorHistoryView {
  operatorId: string;
  /** Oldest first. */
  samples: OperatorSample[];
}

export interface RegionView {
  region: string;
  down: boolean;
  source: string;
  reason: string;
  operators: number;
  online: number;
}

export interface EventsPage {
  /** Each with `owner`: who may read it (an account id, `anonymous`, `network`) or null for the public face. */
  events: {
    seq: number;
    type: EventType;
    ts: number;
    taskId: string | null;
    operatorId: string | null;
    owner: string | null;
    data: unknown;
  }[];
  /** Pass as `after` for the next page. */
  next: number;
}

export interface Stats {
  tasks: { submitted: number; open: number; queued: number; verified: number; failed: number };
  operators: { online: number; total: number };
  /** Dispatch delay: from a task being placeable (ready, and a slot free) to its assignment being sent. */
  scheduling: { count: number; p50Ms: number; p99Ms: number; maxMs: number };
}
