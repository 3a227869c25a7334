/**
 * Row mapping between SQLite's snake_case columns and the store's rows.
 */
import type { CortenEvent } from '../protocol/index.js';
import type { AssignmentRow, EuRow, OperatorRow, RegionRow, TaskRow } from './rows.js';

type Raw = Record<string, unknown>;

const snakeCache = new Map<string, string>();
/** `resultAssignmentId` → `result_assignment_id` */
export function snake(name: string): string {
  let s = snakeCache.get(name);
  if (s === undefined) {
    s = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(name, s);
  }
  return s;
}

export const euFromRaw = (r: Raw): EuRow => ({
  id: r.id as string,
  name: r.name as string,
  version: r.version as string,
  manifest: r.manifest as string,
  files: r.files as string,
  publishedAt: r.published_at as number,
  owner: r.owner as string,
});

export const taskFromRaw = (r: Raw): TaskRow => ({
  id: r.id as string,
  euId: r.eu_id as string,
  status: r.status as TaskRow['status'],
  input: (r.input as string | undefined) ?? '',
  inputHash: r.input_hash as string,
  seed: r.seed as string,
  clock: r.clock as number,
  quorum: r.quorum as number,
  maxReplicas: r.max_replicas as number,
  replicas: r.replicas as number,
  attempts: r.attempts as number,
  outputHash: (r.output_hash as string | null) ?? null,
  resultAssignmentId: (r.result_assignment_id as string | null) ?? null,
  failure: (r.failure as string | null) ?? null,
  failureMessage: (r.failure_message as string | null) ?? null,
  submittedAt: r.submitted_at as number,
  updatedAt: r.updated_at as number,
  finishedAt: (r.finished_at as number | null) ?? null,
  owner: r.owner as string,
});

export const assignmentFromRaw = (r: Raw): AssignmentRow => ({
  id: r.id as string,
  taskId: r.task_id as string,
  operatorId: r.operator_id as string,
  attempt: r.attempt as number,
  status: r.status as AssignmentRow['status'],
  leasedAt: r.leased_at as number,
  leaseExpiresAt: r.lease_expires_at as number,
  finishedAt: (r.finished_at as number | null) ?? null,
  output: (r.output as string | null) ?? null,
  outputHash: (r.output_hash as string | null) ?? null,
  errorCode: (r.error_code as string | null) ?? null,
  signature: (r.signature as string | null) ?? null,
  signatureProof: (r.signature_proof as string | null) ?? null,
  durationMs: (r.duration_ms as number | null) ?? null,
  cpuMs: (r.cpu_ms as number | null) ?? null,
  memoryMb: (r.memory_mb as number | null) ?? null,
  endReason: (r.end_reason as string | null) ?? null,
});

export const operatorFromRaw = (r: Raw): OperatorRow => ({
  id: r.id as string,
  publicKey: r.public_key as string,
  region: r.region as string,
  status: r.status as OperatorRow['status'],
  resources: r.resources as string,
  maxConcurrent: r.max_concurrent as number,
  firstSeenAt: r.first_seen_at as number,
  lastSeenAt: r.last_seen_at as number,
  statusReason: (r.status_reason as string | null) ?? null,
});

export const regionFromRaw = (r: Raw): RegionRow => ({
  name: r.name as string,
  down: r.down === 1,
  source: r.source as RegionRow['source'],
  reason: r.reason as string,
  changedAt: r.changed_at as number,
});

export const eventFromRaw = (r: Raw): CortenEvent =>
  ({
    seq: r.seq as number,
    type: r.type as CortenEvent['type'],
    ts: r.ts as number,
    taskId: (r.task_id as string | null) ?? null,
    operatorId: (r.operator_id as string | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    data: JSON.parse(r.data as string),
  }) as CortenEvent;
