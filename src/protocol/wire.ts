/**
 * The operator wire protocol: JSON messages over one WebSocket per operator.
 * Every message has a `t` (type). The coordinator speaks first with a
 * challenge; the operator answers `hello`, signed with its key; from then on
 * the coordinator pushes `assign`, the operator sends `hb` and `results`.
 *
 * Messages carry batches (several assignments, several results) so that a
 * busy connection sends one frame per event-loop turn, not one per task.
 */
import { z } from 'zod';
import { CapabilityName, type EuManifest, RegionName } from './eu-manifest.js';

export const PROTOCOL_VERSION = 1;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Hex128 = z.string().regex(/^[0-9a-f]{128}$/);
const Id = z.string().min(1).max(128);

export const OperatorResources = z.strictObject({
  cpu: z.int().min(1).max(4096),
  memoryMb: z
    .int()
    .min(1)
    .max(1 << 30),
  gpuMemoryMb: z
    .int()
    .min(0)
    .max(1 << 30)
    .default(0),
  /** Host capabilities that passed their start-up probe, e.g. `nlp`, `embed.text`, `llm.complete`. */
  capabilities: z.array(CapabilityName).max(256).default([]),
  /** EU names this operator serves; empty means every EU it qualifies for. */
  eus: z.array(z.string().max(64)).max(256).default([]),
});
export type OperatorResources = z.infer<typeof OperatorResources>;

// ---- operator → coordinator ------------------------------------------------

export const HelloMessage = z.strictObject({
  t: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  publicKey: Hex64,
  /** Signature of the challenge nonce (domain `auth`). */
  signature: Hex128,
  region: RegionName,
  resources: OperatorResources,
  maxConcurrent: z.int().min(1).max(4096),
  agent: z.string().max(64).default('corten'),
  /** Assignments the operator still holds from before a reconnect. */
  held: z.array(Id).max(100_000).default([]),
});
export type HelloMessage = z.infer<typeof HelloMessage>;

export const HeartbeatMessage = z.strictObject({
  t: z.literal('hb'),
  running: z.int().min(0),
  /**
   * When the operator sent it, by its own clock (ms). Gaps between these tell
   * heartbeats the operator failed to send from ones the coordinator was too
   * busy to read on time; only the first count against the operator.
   */
  at: z.number().optional(),
  /** 1-minute load average divided by cores, when known. */
  cpuLoad: z.number().min(0).optional(),
  memoryUsedMb: z.number().min(0).optional(),
  /**
   * Assignments received since the previous heartbeat, each with how long ago (ms, by the operator's
   * clock): the coordinator counts their leases from then, not from when it granted them.
   */
  started: z
    .array(z.tuple([Id, z.int().min(0).max(86_400_000)]))
    .max(4096)
    .optional(),
});

export const ExecutionMetrics = z.strictObject({
  durationMs: z.number().min(0),
  cpuMs: z.number().min(0).optional(),
  memoryMb: z.number().min(0).optional(),
});
export type ExecutionMetrics = z.infer<typeof ExecutionMetrics>;

/** What an execution produced: an output, or an error the EU (not the operator) caused. */
export const ExecutionError = z.strictObject({ code: z.string().max(64), message: z.string().max(4000) });

export const ResultItem = z.strictObject({
  assignmentId: Id,
  /** The lease's fencing token, as it was given in `assign`. */
  attempt: z.int().min(1),
  output: z.unknown().optional(),
  error: ExecutionError.optional(),
  outputHash: Hex64,
  /** The operator's signature over the Merkle root of its frame's results (see result-batch.ts). */
  signature: Hex128,
  /** This result's path from its statement to that root; empty when it was the only result signed. */
  proof: z
    .array(z.string().regex(/^[LR][0-9a-f]{64}$/))
    .max(32)
    .default([]),
  metrics: ExecutionMetrics,
});
export type ResultItem = z.infer<typeof ResultItem>;

/** Results one frame may carry. */
export const MAX_RESULTS_PER_FRAME = 10_000;

export const ResultsMessage = z.strictObject({
  t: z.literal('results'),
  results: z.array(ResultItem).min(1).max(MAX_RESULTS_PER_FRAME),
});

/**
 * A results frame read as an envelope only: the coordinator checks each
 * result on its own, so one bad result is refused alone and the rest of the
 * frame still counts.
 */
export const ResultsEnvelope = z.strictObject({
  t: z.literal('results'),
  results: z.array(z.unknown()).min(1).max(MAX_RESULTS_PER_FRAME),
});

export const DrainMessage = z.strictObject({ t: z.literal('drain') });

/** The operator gives assignments back without a result (it is shutting down, or cannot run them). */
export const ReleaseMessage = z.strictObject({
  t: z.literal('release'),
  assignmentIds: z.array(Id).min(1).max(10_000),
  reason: z.string().max(200).default('released'),
});

export const OperatorMessage = z.discriminatedUnion('t', [
  HelloMessage,
  HeartbeatMessage,
  ResultsMessage,
  DrainMessage,
  ReleaseMessage,
]);
export type OperatorMessage = z.infer<typeof OperatorMessage>;

// ---- coordinator → operator ------------------------------------------------

export interface ChallengeMessage {
  t: 'challenge';
  nonce: string;
  coordinatorId: string;
  protocol: number;
}

export interface WelcomeMessage {
  t: 'welcome';
  operatorId: string;
  heartbeatIntervalMs: number;
  /** Held assignments the coordinator still recognises; the rest were reassigned. */
  resumed: string[];
}

/**
 * A new heartbeat interval for this connection: the network grew past what the coordinator told the
 * operator at its welcome (config.ts `heartbeatBudgetPerS`). Intervals on a connection only grow.
 */
export interface PaceMessage {
  t: 'pace';
  heartbeatIntervalMs: number;
}

export interface WireEu {
  id: string;
  manifest: EuManifest;
  files: Record<string, string>;
}

export interface WireAssignment {
  assignmentId: string;
  taskId: string;
  euId: string;
  /** Fencing token: the task's attempt number; echo it back with the result. */
  attempt: number;
  input: unknown;
  inputHash: string;
  /** Seed for the EU's Math.random, the same on every replica of the task. */
  seed: string;
  /** The clock the EU sees (ms since epoch), the same on every replica. */
  clock: number;
  /** How long the lease lasts from receipt, in ms. */
  leaseMs: number;
}

export interface AssignMessage {
  t: 'assign';
  /** EU packages this connection has not been sent before. */
  eus: WireEu[];
  assignments: WireAssignment[];
}

export interface AckMessage {
  t: 'ack';
  accepted: string[];
  refused: { assignmentId: string; code: string; message: string }[];
}

/** Stop work on these assignments: their lease is gone (moved away or the task is settled). */
export interface CancelMessage {
  t: 'cancel';
  assignmentIds: string[];
  reason: string;
}

export interface ErrorMessage {
  t: 'error';
  code: string;
  message: string;
}

/** Something that changed an operator's standing, as its standing notice reports it. */
export type StandingChange =
  | { kind: 'slashed'; amount: number; reason: string; taskId?: string }
  | { kind: 'suspended'; reason: string }
  | { kind: 'reinstated' }
  | { kind: 'degraded'; reason: string }
  | { kind: 'recovered' }
  /** Earnings paid out of the coordinator (to the operator's owner). */
  | { kind: 'earnings_paid'; amount: number };

/**
 * The operator's standing as the coordinator holds it: sent after the welcome,
 * and after every committed turn that moved its stake or earnings or changed
 * its status, with what changed. The agent logs every slash and suspension
 * and serves the figures as metrics; it never acts on them (the coordinator
 * enforces standing on its own side).
 */
export interface StandingMessage {
  t: 'standing';
  status: string;
  statusReason: string | null;
  /** Bonded stake (slashable), credits. */
  stake: number;
  /** Stake withdrawn and waiting out its unbonding period (still slashable). */
  unbonding: number;
  /** Earnings not yet paid out. */
  earnings: number;
  minStake: number;
  /** True when the scheduler may give it work (staked to the minimum and not suspended). */
  eligible: boolean;
  changes: StandingChange[];
}

export type CoordinatorMessage =
  | ChallengeMessage
  | WelcomeMessage
  | PaceMessage
  | AssignMessage
  | AckMessage
  | CancelMessage
  | ErrorMessage
  | StandingMessage;

/**
 * A frame from the coordinator: one message, or an array of messages to be
 * handled in order (what one turn of the engine has for one operator).
 */
export type CoordinatorFrame = CoordinatorMessage | CoordinatorMessage[];

/** What an operator attests for each result: a leaf of the Merkle tree it signs (see result-batch.ts). */
export interface ResultStatement {
  assignmentId: string;
  taskId: string;
  euId: string;
  attempt: number;
  inputHash: string;
  outputHash: string;
}

/** What an operator signs to authenticate (domain `auth`). */
export function authStatement(nonce: string, coordinatorId: string): string {
  return `${coordinatorId}:${nonce}`;
}
