/**
 * The API's operations on workflows and jobs. A workflow's name belongs to its
 * first publisher; its versions, and the jobs run on them, are visible to their
 * owner (and the admin) only: another's looks exactly like a missing one (404).
 * State changes run as engine commands; reads come from the store, with what
 * only memory knows (a step waiting for a capable operator) laid over them.
 */
import {
  CortenError,
  MAX_VALUE_DEPTH,
  valueTooDeep,
  type JobStepView,
  type JobSummary,
  type JobView,
  type ListJobsQuery,
  type PublishWorkflowRequest,
  type PublishWorkflowResponse,
  type SubmitJobsRequest,
  type SubmitJobsResponse,
  type UpgradeWorkflowRequest,
  type UpgradeWorkflowResponse,
  type WorkflowSummary,
  type WorkflowView,
} from '../../protocol/index.js';
import type { JobFilter, JobRow, Store } from '../../store/index.js';
import type { CoordinatorConfig } from '../config/index.js';
import { type Accounts, canRead, ownerOf, requireOwner, type Viewer } from '../economics/index.js';
import type { Engine } from '../engine/index.js';
import { compileWorkflow, type WorkflowEntry } from '../workflows/index.js';

export interface WorkflowApiDeps {
  engine: Engine;
  store: Store;
  accounts: Accounts;
  config: CoordinatorConfig;
}

export class WorkflowApi {
  constructor(private readonly deps: WorkflowApiDeps) {}

  private get workflows() {
    return this.deps.engine.workflows;
  }

  /** Publishes a version; needs an account key or the admin token: the first publisher owns the name. */
  async publish(request: PublishWorkflowRequest, authorization?: string): Promise<PublishWorkflowResponse> {
    const caller = await this.deps.accounts.identify(authorization);
    if (caller.kind === 'anonymous') {
      throw new CortenError(
        'UNAUTHORIZED',
        'publishing a workflow needs an account API key (Authorization: Bearer ck_…): its first publisher owns the name',
      );
    }
    const compiled = compileWorkflow(request.document);
    const entry: WorkflowEntry = {
      ...compiled,
      name: compiled.document.name,
      version: compiled.document.version,
      owner: ownerOf(caller, false)!,
      publishedAt: Date.now(),
    };
    const result = await this.deps.engine.publishWorkflow(entry);
    return { id: result.entry.id, name: entry.name, version: entry.version, created: result.created };
  }

  list(viewer: Viewer): WorkflowSummary[] {
    const reader = requireOwner(viewer);
    return this.workflows
      .all()
      .filter((w) => canRead(reader, w.owner))
      .sort((a, b) => a.name.localeCompare(b.name) || a.publishedAt - b.publishedAt)
      .map(summary);
  }

  get(ref: string, viewer: Viewer): WorkflowView {
    const entry = this.visible(ref, viewer);
    return { ...summary(entry), document: entry.document };
  }

  private visible(ref: string, viewer: Viewer): WorkflowEntry {
    const entry = this.workflows.resolve(ref);
    if (!canRead(requireOwner(viewer), entry.owner))
      throw new CortenError('WORKFLOW_NOT_FOUND', `no workflow '${ref}' is published (GET /v1/workflows)`);
    return entry;
  }

  /** Submits one job per input, all or none. */
  async submit(request: SubmitJobsRequest, authorization?: string): Promise<SubmitJobsResponse> {
    const caller = await this.deps.accounts.identify(authorization);
    const owner = ownerOf(caller, this.deps.config.allowAnonymous);
    if (owner === null) {
      throw new CortenError(
        'ANONYMOUS_DISABLED',
        'this coordinator does not take submissions without a key: send an account API key (Authorization: Bearer ck_…)',
      );
    }
    const viewer: Viewer = caller.kind === 'admin' ? { kind: 'all' } : { kind: 'owner', owner };
    const entry = this.visible(request.workflow, viewer);
    const deep = request.inputs.findIndex((input) => valueTooDeep(input, MAX_VALUE_DEPTH));
    if (deep >= 0) {
      throw new CortenError(
        'JSON_TOO_DEEP',
        `inputs[${deep}] nests deeper than ${MAX_VALUE_DEPTH} levels. Nothing was submitted.`,
        {
          details: { index: deep },
        },
      );
    }
    const texts = request.inputs.map((input) => JSON.stringify(input ?? null));
    const big = texts.findIndex((t) => t.length > this.deps.config.maxInputBytes);
    if (big >= 0) {
      throw new CortenError(
        'PAYLOAD_TOO_LARGE',
        `inputs[${big}] is ${texts[big]!.length} bytes; the limit is ${this.deps.config.maxInputBytes}. Nothing was submitted.`,
        { details: { index: big } },
      );
    }
    const after = this.deps.engine.bus.seq;
    const accountId = caller.kind === 'account' ? caller.accountId : null;
    const jobIds = await this.deps.engine.submitJobs(entry, texts, owner, accountId);
    return { workflowId: entry.id, jobIds, escrowed: this.workflows.costOf(entry) * jobIds.length, after };
  }

  async getJob(id: string, viewer: Viewer): Promise<JobView> {
    const row = await this.deps.store.workflows.getJob(id);
    if (!row || !canRead(requireOwner(viewer), row.owner)) throw new CortenError('JOB_NOT_FOUND', `no job ${id}`);
    const workflow = this.workflows.get(row.workflowId);
    const { steps, tasks } = await this.deps.store.workflows.getJobDetail(id);
    const order = workflow?.order.map((s) => s.id) ?? steps.map((s) => s.stepId);
    const views: JobStepView[] = order.map((stepId) => {
      const step = steps.find((s) => s.stepId === stepId);
      const own = tasks.filter((t) => t.stepId === stepId);
      // A started step has no row until it finishes (job-progress.ts): its tasks say it is ready, and its EU.
      const view: JobStepView = {
        id: stepId,
        status: (step?.status as JobStepView['status'] | undefined) ?? (own.length > 0 ? 'ready' : 'pending'),
        euId: step?.euId ?? own[0]?.euId ?? null,
        reason: step?.reason ?? null,
        tasks: own.map((t) => ({ index: t.index, taskId: t.taskId, status: t.status })),
        output: step?.output ? (JSON.parse(step.output) as unknown) : null,
      };
      // Started is not written (job-progress.ts): a ready step with a task past pending is running.
      if (view.status === 'ready' && own.some((t) => t.status !== 'pending')) view.status = 'running';
      // What only memory knows: no online operator can run the step's EU.
      if (view.status === 'ready' || view.status === 'running') {
        const waiting = own.map((t) => this.deps.engine.tasks.get(t.taskId)?.waiting).find((w) => w);
        if (waiting) Object.assign(view, { status: 'waiting', reason: waiting });
      }
      return view;
    });
    return { ...this.jobSummary(row), input: JSON.parse(row.input) as unknown, steps: views };
  }

  async listJobs(query: ListJobsQuery, viewer: Viewer): Promise<{ jobs: JobSummary[] }> {
    const reader = requireOwner(viewer);
    const filter: JobFilter = { limit: query.limit };
    if (reader.kind === 'owner') filter.owner = reader.owner;
    if (query.workflow) filter.name = query.workflow.split('@')[0]!;
    if (query.status) filter.status = query.status;
    if (query.after) filter.after = query.after;
    const rows = await this.deps.store.workflows.listJobs(filter);
    return { jobs: rows.map((r) => this.jobSummary(r)) };
  }

  async cancelJob(id: string, viewer: Viewer): Promise<JobView> {
    const row = await this.deps.store.workflows.getJob(id);
    if (!row || !canRead(requireOwner(viewer), row.owner)) throw new CortenError('JOB_NOT_FOUND', `no job ${id}`);
    await this.deps.engine.cancelJob(id);
    return this.getJob(id, viewer);
  }

  async upgrade(name: string, request: UpgradeWorkflowRequest, viewer: Viewer): Promise<UpgradeWorkflowResponse> {
    const target = this.visible(`${name}@${request.version}`, viewer);
    return this.deps.engine.upgradeWorkflow(target, request);
  }

  private jobSummary(row: JobRow): JobSummary {
    const workflow = this.workflows.get(row.workflowId);
    return {
      id: row.id,
      workflowId: row.workflowId,
      workflow: row.name,
      version: workflow?.version ?? '',
      status: row.status,
      failure: row.failure,
      submittedAt: row.submittedAt,
      finishedAt: row.finishedAt,
    };
  }
}

function summary(w: WorkflowEntry): WorkflowSummary {
  return {
    id: w.id,
    name: w.name,
    version: w.version,
    description: w.document.description ?? null,
    steps: w.document.steps.map((s) => s.id),
    publishedAt: w.publishedAt,
  };
}
