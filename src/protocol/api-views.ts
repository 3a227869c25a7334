/**
 * Zod schemas of what the API answers: the response shapes of api.ts and
 * trust-api.ts, as schemas the OpenAPI document is generated from. Each is
 * checked against its TypeScript interface at compile time (the checks at the
 * end of this file), so a field added to a view and not here, or here and not
 * there, fails the build instead of drifting out of the document.
 */
import { z } from 'zod';
import type {
  AssignmentView,
  BulkTasksResponse,
  EuSummary,
  EuView,
  EventsPage,
  OperatorHistoryView,
  OperatorView,
  PublishEuResponse,
  RegionView,
  Stats,
  SubmitTasksResponse,
  TaskCountsView,
  TaskView,
} from './api.js';
import { EuManifest } from './eu-manifest.js';
import { EVENT_TYPES, type CortenEvent } from './events.js';
import { LedgerEntry } from './ledger.js';
import { ASSIGNMENT_STATUSES, OPERATOR_STATUSES, TASK_STATUSES } from './statuses.js';
import type {
  AccountView,
  BalancesView,
  CreatedAccount,
  LatencyView,
  LedgerPage,
  ReputationView,
  StakeView,
} from './trust-api.js';

const Ms = z.number().describe('ms since epoch, coordinator clock');

export const ErrorEnvelopeSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe('stable code a program can switch on (src/protocol/errors.ts)'),
      message: z.string().describe('what went wrong and what to do, for a person'),
      details: z.unknown().optional(),
    }),
  })
  .describe('every error the API answers');

export const EuSummarySchema = z.strictObject({
  id: z.string().describe('eu_ and the hash of manifest + files'),
  name: z.string(),
  version: z.string(),
  description: z.string(),
  publishedAt: Ms,
});

export const EuViewSchema = EuSummarySchema.extend({
  manifest: EuManifest,
  files: z.record(z.string(), z.string()),
});

export const EuListSchema = z.strictObject({ eus: z.array(EuSummarySchema) });

export const PublishEuResponseSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  created: z.boolean().describe('false when the identical package was already published'),
});

export const SubmitTasksResponseSchema = z.strictObject({
  euId: z.string(),
  taskIds: z.array(z.string()),
  after: z.number().describe("a position in the event log before this submission's events"),
  escrowed: z
    .number()
    .describe(
      "credits moved from the account's balance to escrow (0 from a follower: the leader escrows when it takes the submission in)",
    ),
});

export const AssignmentViewSchema = z.strictObject({
  id: z.string(),
  operatorId: z.string(),
  attempt: z.number().describe("the lease's fencing token"),
  status: z.enum(ASSIGNMENT_STATUSES),
  leasedAt: Ms,
  leaseExpiresAt: Ms,
  finishedAt: Ms.nullable(),
  outputHash: z.string().nullable(),
  errorCode: z.string().nullable(),
  durationMs: z.number().nullable(),
  endReason: z.string().nullable(),
  dissenting: z.boolean().describe('true when the verdict found this result in the minority'),
});

export const TaskViewSchema = z.strictObject({
  id: z.string(),
  euId: z.string(),
  status: z.enum(TASK_STATUSES),
  inputHash: z.string(),
  quorum: z.number(),
  maxReplicas: z.number(),
  replicas: z.number(),
  attempts: z.number(),
  submittedAt: Ms,
  finishedAt: Ms.nullable(),
  verdict: z.strictObject({ outputHash: z.string(), output: z.unknown() }).nullable(),
  failure: z.strictObject({ reason: z.string(), message: z.string() }).nullable(),
  assignments: z.array(AssignmentViewSchema),
});

export const TaskSummarySchema = TaskViewSchema.omit({ assignments: true, verdict: true });
export const TaskListSchema = z.strictObject({
  tasks: z.array(TaskSummarySchema),
  /** The `after` of the next page; null on the last. */
  next: z.string().nullable(),
});

export const TaskCountsViewSchema = z.strictObject({
  byStatus: z.record(z.enum(TASK_STATUSES), z.number()),
  failures: z.record(z.string(), z.number()),
});

export const BulkTasksResponseSchema = z.strictObject({
  done: z.array(z.strictObject({ id: z.string(), newTaskId: z.string().optional() })),
  refused: z.array(z.strictObject({ id: z.string(), code: z.string(), message: z.string() })),
});

export const OperatorViewSchema = z.strictObject({
  id: z.string(),
  publicKey: z.string(),
  region: z.string(),
  status: z.enum(OPERATOR_STATUSES),
  statusReason: z.string().nullable(),
  connected: z.boolean(),
  resources: z.strictObject({
    cpu: z.number(),
    memoryMb: z.number(),
    gpuMemoryMb: z.number(),
    capabilities: z.array(z.string()),
    eus: z.array(z.string()),
  }),
  maxConcurrent: z.number(),
  slots: z.number().describe('leases the coordinator grants it now'),
  active: z.number(),
  firstSeenAt: Ms,
  lastSeenAt: Ms,
  stake: z.number(),
  eligible: z.boolean(),
  reputation: z.strictObject({
    score: z.number(),
    uptime: z.number(),
    leaseCompletion: z.number(),
    agreement: z.number(),
    streak: z.number(),
  }),
  earned: z.number().describe('credits ever rewarded; withdrawals do not lower it'),
  slashed: z.number().describe('credits ever slashed'),
  slashes: z.number(),
  latencyMs: z.number().nullable().describe('median result latency over recent results'),
});
export const OperatorSampleSchema = z.strictObject({
  ts: Ms,
  score: z.number(),
  uptime: z.number(),
  agreement: z.number(),
  leaseCompletion: z.number(),
  stake: z.number(),
  status: z.string().describe('its status then, or offline when it was not connected'),
});
export const OperatorHistorySchema = z.strictObject({
  operatorId: z.string(),
  samples: z.array(OperatorSampleSchema).describe('oldest first'),
});
export const OperatorListSchema = z.strictObject({ operators: z.array(OperatorViewSchema) });

export const RegionViewSchema = z.strictObject({
  region: z.string(),
  down: z.boolean(),
  source: z.string(),
  reason: z.string(),
  operators: z.number(),
  online: z.number(),
});
export const RegionListSchema = z.strictObject({ regions: z.array(RegionViewSchema) });

export const EventSchema = z.strictObject({
  seq: z.number().describe('position in the log; strictly increasing (the SSE id)'),
  type: z.enum(EVENT_TYPES),
  ts: Ms,
  taskId: z.string().nullable(),
  operatorId: z.string().nullable(),
  owner: z.string().nullable().describe('who may read it: an account id, anonymous, network, or null (public)'),
  data: z.unknown().describe("the event's fields, by type (src/protocol/events.ts)"),
});
export const EventsPageSchema = z.strictObject({
  events: z.array(EventSchema),
  next: z.number().describe('pass as after for the next page'),
});

export const StatsSchema = z.strictObject({
  tasks: z.strictObject({
    submitted: z.number(),
    open: z.number(),
    queued: z.number(),
    verified: z.number(),
    failed: z.number(),
  }),
  operators: z.strictObject({ online: z.number(), total: z.number() }),
  scheduling: z.strictObject({ count: z.number(), p50Ms: z.number(), p99Ms: z.number(), maxMs: z.number() }),
});

export const HealthSchema = z.strictObject({ ok: z.boolean(), coordinatorId: z.string() });

export const AccountViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  balance: z.number().describe('spendable credits'),
  escrow: z.number().describe('credits held for tasks not yet settled'),
  createdAt: Ms,
});
export const CreatedAccountSchema = AccountViewSchema.extend({
  apiKey: z.string().describe("the account's API key (ck_…): shown once, only its hash is kept"),
});
export const DepositResponseSchema = AccountViewSchema.extend({ entryId: z.string() });

export const StakeViewSchema = z.strictObject({
  operatorId: z.string(),
  stake: z.number(),
  unbonding: z.number(),
  earnings: z.number(),
  minStake: z.number(),
  eligible: z.boolean(),
});
export const StakeDetailSchema = StakeViewSchema.extend({
  pendingWithdrawals: z.array(z.strictObject({ amount: z.number(), availableAt: Ms })),
});
export const StakeEntrySchema = StakeViewSchema.extend({ entryId: z.string() });
export const UnbondingSchema = StakeViewSchema.extend({ availableAt: Ms });

export const LatencyViewSchema = z.strictObject({
  euId: z.string(),
  samples: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  durationMs: z.number(),
  cpuMs: z.number().nullable(),
  memoryMb: z.number().nullable(),
});

export const ReputationViewSchema = z.strictObject({
  operatorId: z.string(),
  halfLifeMs: z.number(),
  uptime: z.number(),
  missedHeartbeats: z.number(),
  leaseCompletion: z.number(),
  agreement: z.number(),
  streak: z.number(),
  dissents: z.number(),
  latency: z.array(LatencyViewSchema),
  score: z.number(),
  health: z.strictObject({ degraded: z.boolean(), reasons: z.array(z.string()) }),
});

export const LedgerPageSchema = z.strictObject({ entries: z.array(LedgerEntry), next: z.number() });

export const BalancesViewSchema = z.strictObject({
  balances: z.record(z.string(), z.number()),
  head: z.strictObject({ seq: z.number(), hash: z.string() }),
});

// ---- compile-time checks: each schema describes exactly its interface --------------------------------------------

/** True when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;

/** Fails to compile when a view and its schema differ. */
export type ViewSchemasMatch = [
  Holds<Same<z.infer<typeof EuSummarySchema>, EuSummary>>,
  Holds<Same<z.infer<typeof EuViewSchema>, EuView>>,
  Holds<Same<z.infer<typeof PublishEuResponseSchema>, PublishEuResponse>>,
  Holds<Same<z.infer<typeof SubmitTasksResponseSchema>, SubmitTasksResponse>>,
  Holds<Same<z.infer<typeof AssignmentViewSchema>, AssignmentView>>,
  Holds<Same<z.infer<typeof TaskViewSchema>, TaskView>>,
  Holds<Same<z.infer<typeof TaskSummarySchema>, Omit<TaskView, 'assignments' | 'verdict'>>>,
  Holds<Same<z.infer<typeof TaskCountsViewSchema>, TaskCountsView>>,
  Holds<Same<z.infer<typeof BulkTasksResponseSchema>, BulkTasksResponse>>,
  Holds<Same<z.infer<typeof OperatorViewSchema>, OperatorView>>,
  Holds<Same<z.infer<typeof OperatorHistorySchema>, OperatorHistoryView>>,
  Holds<Same<z.infer<typeof RegionViewSchema>, RegionView>>,
  Holds<Same<z.infer<typeof EventsPageSchema>, EventsPage>>,
  Holds<Same<Omit<z.infer<typeof EventSchema>, 'data'>, Omit<CortenEvent, 'data'>>>,
  Holds<Same<z.infer<typeof StatsSchema>, Stats>>,
  Holds<Same<z.infer<typeof AccountViewSchema>, AccountView>>,
  Holds<Same<z.infer<typeof CreatedAccountSchema>, CreatedAccount>>,
  Holds<Same<z.infer<typeof StakeViewSchema>, StakeView>>,
  Holds<Same<z.infer<typeof LatencyViewSchema>, LatencyView>>,
  Holds<Same<z.infer<typeof ReputationViewSchema>, ReputationView>>,
  Holds<Same<z.infer<typeof LedgerPageSchema>, LedgerPage>>,
  Holds<Same<z.infer<typeof BalancesViewSchema>, BalancesView>>,
];
