/**
 * Workflows: a named, versioned DAG of steps, each running one EU on the job's
 * input or on earlier steps' outputs. The document is immutable and
 * content-addressed like an EU: its id is the hash of its canonical form.
 *
 *   name: news
 *   version: 2.0.0
 *   steps:
 *     - id: summarize
 *       eu: news-summarize@^1          # a semver range, an exact name@version, a bare name, or an eu_ id
 *       input: { text: /input/text }   # JSON Pointers over { input, steps: { <id>: output } }
 *     - id: sentiment
 *       eu: sentiment@^1
 *       input: { text: /steps/summarize/summary }
 *       when: { pointer: /steps/summarize/summary, op: exists }
 *
 * A `map` step runs one task per element of the array its pointer names (at
 * most `maxItems`, which escrow reserves for); inside it `/item` is the
 * element and `/index` its position, and its output is the array of results in
 * order. A step whose `when` is false is skipped, and so is every step that
 * reads a skipped step.
 */
import { z } from 'zod';
import { hashJson } from './canonical.js';
import { EuName, SemverString } from './eu-manifest.js';

/** Steps a workflow holds at most, and elements a map step may fan out to. */
export const MAX_WORKFLOW_STEPS = 50;
export const MAX_MAP_ITEMS = 1000;
/** Inputs a job submission holds at most. */
export const MAX_JOB_BATCH = 1000;

export const StepId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a step id is lowercase letters, digits, _ and -, starting with a letter');

/** A JSON Pointer (RFC 6901) over `{ input, steps, item, index }`. */
export const JsonPointerString = z
  .string()
  .max(512)
  .regex(/^(\/([^/~]|~[01])*)+$/, 'a JSON Pointer starts with / (e.g. /input/text or /steps/summarize/summary)');

/** A field of a step's input: a pointer, or a literal `{ value }`. */
export const InputField = z.union([JsonPointerString, z.strictObject({ value: z.json() })]);

/** A step's input: one pointer (the value it names), or an object built field by field. */
export const StepInput = z.union([JsonPointerString, z.record(z.string().min(1).max(128), InputField)]);

export const COMPARISONS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'exists', 'truthy'] as const;

/** A step's condition: one comparison of the value at a pointer. No expressions, no eval. */
export const StepCondition = z.strictObject({
  pointer: JsonPointerString,
  op: z.enum(COMPARISONS),
  value: z.json().optional(),
});
export type StepCondition = z.infer<typeof StepCondition>;

export const WorkflowStep = z.strictObject({
  id: StepId,
  /** `name@range` (`news-summarize@^1`, `@1.2.0`, `@~1.2`), a bare name (any version: the latest), or `eu_…`. */
  eu: z.string().min(1).max(200),
  input: StepInput.default('/input'),
  /** Fan out over the array at this pointer: one task per element. */
  map: JsonPointerString.optional(),
  /** The most elements the map may have; escrow reserves this many tasks. Required with `map`. */
  maxItems: z.int().min(1).max(MAX_MAP_ITEMS).optional(),
  when: StepCondition.optional(),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

export const WorkflowDocument = z.strictObject({
  name: EuName,
  version: SemverString,
  description: z.string().max(2000).optional(),
  steps: z.array(WorkflowStep).min(1).max(MAX_WORKFLOW_STEPS),
});
export type WorkflowDocument = z.infer<typeof WorkflowDocument>;

/** The workflow's id: `wf_` and the hash of its canonical document (defaults filled in). */
export function workflowIdOf(doc: WorkflowDocument): string {
  return `wf_${hashJson(doc).slice(0, 40)}`;
}

// ---- API -------------------------------------------------------------------------------

export const PublishWorkflowRequest = z.strictObject({
  /** The document as an object, or as YAML or JSON text. */
  document: z.union([
    z.record(z.string(), z.unknown()),
    z
      .string()
      .min(1)
      .max(256 * 1024),
  ]),
});
export type PublishWorkflowRequest = z.infer<typeof PublishWorkflowRequest>;

export interface WorkflowSummary {
  id: string;
  name: string;
  version: string;
  description: string | null;
  steps: string[];
  publishedAt: number;
}

export interface WorkflowView extends WorkflowSummary {
  document: WorkflowDocument;
}

export interface PublishWorkflowResponse {
  id: string;
  name: string;
  version: string;
  created: boolean;
}

export const SubmitJobsRequest = z.strictObject({
  /** Workflow name (its latest version), `name@version`, or `wf_…`. */
  workflow: z.string().min(1).max(200),
  /** One job per input. */
  inputs: z.array(z.unknown()).min(1).max(MAX_JOB_BATCH),
});
export type SubmitJobsRequest = z.infer<typeof SubmitJobsRequest>;

export interface SubmitJobsResponse {
  workflowId: string;
  jobIds: string[];
  /** Credits reserved in escrow for every step of every job. */
  escrowed: number;
  /** The event seq before the jobs were created: follow from here to miss nothing. */
  after: number;
}

export const JOB_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * A step of a job: `pending` (inputs not ready), `ready` (its tasks exist, none
 * leased yet), `waiting` (ready, and no online operator can run its EU),
 * `running`, then `verified`, `failed`, `skipped` or `cancelled`.
 */
export const STEP_STATUSES = [
  'pending',
  'ready',
  'waiting',
  'running',
  'verified',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const ListJobsQuery = z.strictObject({
  workflow: z.string().max(200).optional(),
  status: z.enum(JOB_STATUSES).optional(),
  after: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;

export interface JobStepView {
  id: string;
  status: StepStatus;
  /** The EU the step's tasks were created with (resolved from its range then). */
  euId: string | null;
  /** Why it waits, failed or was skipped. */
  reason: string | null;
  tasks: { index: number; taskId: string; status: string }[];
  output: unknown;
}

export interface JobSummary {
  id: string;
  workflowId: string;
  workflow: string;
  version: string;
  status: JobStatus;
  failure: string | null;
  submittedAt: number;
  finishedAt: number | null;
}

export interface JobView extends JobSummary {
  input: unknown;
  steps: JobStepView[];
}

export const UpgradeWorkflowRequest = z.strictObject({
  version: SemverString,
  /** Running jobs of older versions adopt this one. */
  running: z.boolean().default(false),
  /** Finished (completed) jobs of older versions run only this version's new steps. */
  backfill: z.boolean().default(false),
  /** Count what would happen; change nothing. */
  dryRun: z.boolean().default(false),
});
export type UpgradeWorkflowRequest = z.infer<typeof UpgradeWorkflowRequest>;

export interface UpgradeWorkflowResponse {
  workflowId: string;
  /** Running jobs that adopted (or would adopt) the version. */
  adopted: number;
  /** Finished jobs backfilled (or that would be). */
  backfilled: number;
  /** Steps added across those jobs. */
  newSteps: number;
  escrowed: number;
  dryRun: boolean;
}
