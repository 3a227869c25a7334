/**
 * Jobs: the list, filtered by workflow and status and live, and one job with its
 * steps laid out as the workflow's DAG (a column per depth, each step with its
 * status, reason and tasks). The edges come from the workflow document: a step
 * depends on every step whose output its input or condition points into.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { dateTime, shortId } from '../format.js';
import { useLive } from '../hooks.js';
import { taskHref } from '../router.js';

interface JobStep {
  id: string;
  status: string;
  euId: string | null;
  reason: string | null;
  tasks: { index: number; taskId: string; status: string }[];
}

interface Job {
  id: string;
  workflowId: string;
  workflow: string;
  version: string;
  status: string;
  failure: string | null;
  submittedAt: number;
  finishedAt: number | null;
  steps?: JobStep[];
}

interface Workflow {
  document?: { steps?: unknown[] };
}

const JOB_STATUSES = ['', 'running', 'completed', 'failed', 'cancelled'];

/** Cancels a job: its running tasks are cancelled and its unused escrow refunded (owner or admin only). */
function cancelJob(id: string): Promise<Job> {
  return api<Job>(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} });
}

export function JobsView(props: { id: string }) {
  return props.id ? <JobDetail id={props.id} /> : <JobList />;
}

function JobList() {
  const [workflow, setWorkflow] = useState('');
  const [status, setStatus] = useState('');
  const query = new URLSearchParams({ limit: '100', ...(workflow ? { workflow } : {}), ...(status ? { status } : {}) });
  const jobs = useLive(
    () => api<{ jobs: Job[] }>(`/v1/jobs?${query.toString()}`),
    (e) => e.type.startsWith('job.'),
    [workflow, status],
  );
  const absent = jobs.error instanceof ApiError && jobs.error.status === 404;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState('');
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const cancelSelected = async () => {
    const results = await Promise.allSettled([...selected].map((id) => cancelJob(id)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    setOutcome(`${results.length - failed} cancelled${failed > 0 ? `, ${failed} refused` : ''}`);
    setSelected(new Set());
    jobs.reload();
  };
  return (
    <section data-testid="jobs">
      <h2>Jobs</h2>
      {absent ? (
        <p class="hint">This coordinator does not run workflows: there are no jobs to show.</p>
      ) : (
        <>
          <form class="filters" onSubmit={(e) => e.preventDefault()}>
            <input
              placeholder="workflow"
              value={workflow}
              onChange={(e) => setWorkflow((e.target as HTMLInputElement).value)}
            />
            <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
              {JOB_STATUSES.map((s) => (
                <option value={s}>{s || 'any status'}</option>
              ))}
            </select>
          </form>
          <div class="bulk">
            <button disabled={selected.size === 0} onClick={() => void cancelSelected()} data-testid="jobs-cancel">
              Cancel selected
            </button>
            <span class="hint" data-testid="jobs-outcome">
              {outcome}
            </span>
          </div>
          {jobs.error && <p class="error">{jobs.error.message}</p>}
          <table class="list" data-testid="job-list">
            <thead>
              <tr>
                <th></th>
                <th>job</th>
                <th>workflow</th>
                <th>status</th>
                <th>submitted</th>
                <th>finished</th>
              </tr>
            </thead>
            <tbody>
              {(jobs.data?.jobs ?? []).map((j) => (
                <tr>
                  <td>
                    {j.status === 'running' && (
                      <input type="checkbox" checked={selected.has(j.id)} onChange={() => toggle(j.id)} />
                    )}
                  </td>
                  <td>
                    <a href={`#/jobs/${encodeURIComponent(j.id)}`}>{shortId(j.id)}</a>
                  </td>
                  <td>
                    {j.workflow}@{j.version}
                  </td>
                  <td>
                    <span class={`status ${j.status}`}>{j.status}</span> {j.failure ?? ''}
                  </td>
                  <td>{dateTime(j.submittedAt)}</td>
                  <td>{dateTime(j.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** Step ids a step reads from: `/steps/<id>/…` anywhere in its input or condition. */
function dependencies(step: unknown): string[] {
  const found = new Set<string>();
  const text = JSON.stringify(step ?? {});
  for (const m of text.matchAll(/"\/steps\/([^/"]+)/g)) found.add(m[1]!);
  return [...found];
}

/** Columns of step ids by depth: a step sits one column right of its deepest dependency. */
function layers(steps: JobStep[], documentSteps: unknown[]): { columns: string[][]; deps: Map<string, string[]> } {
  const deps = new Map<string, string[]>();
  for (const s of documentSteps) {
    const id = (s as { id?: unknown }).id;
    if (typeof id === 'string')
      deps.set(
        id,
        dependencies(s).filter((d) => d !== id),
      );
  }
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(deps.get(id) ?? []).map((p) => depthOf(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const columns: string[][] = [];
  for (const s of steps) (columns[depthOf(s.id, new Set())] ??= []).push(s.id);
  return { columns: columns.filter(Boolean), deps };
}

function JobDetail(props: { id: string }) {
  const job = useLive(
    () => api<Job>(`/v1/jobs/${encodeURIComponent(props.id)}`),
    (e) => (e.data as { jobId?: string } | undefined)?.jobId === props.id || e.type.startsWith('task.'),
    [props.id],
  );
  const workflowId = job.data?.workflowId;
  const workflow = useLive(
    () => (workflowId ? api<Workflow>(`/v1/workflows/${encodeURIComponent(workflowId)}`) : Promise.resolve(null)),
    (e) => e.type === 'job.upgraded',
    [workflowId],
  );
  if (job.error) return <p class="error">{job.error.message}</p>;
  if (!job.data) return <p class="hint">loading…</p>;
  const steps = job.data.steps ?? [];
  const { columns, deps } = layers(steps, workflow.data?.document?.steps ?? []);
  const byId = new Map(steps.map((s) => [s.id, s]));
  return (
    <section data-testid="job-detail">
      <h2>
        Job {job.data.id} <span class={`status ${job.data.status}`}>{job.data.status}</span>
      </h2>
      <p class="hint">
        {job.data.workflow}@{job.data.version} · submitted {dateTime(job.data.submittedAt)}
        {job.data.failure ? ` · ${job.data.failure}` : ''}
      </p>
      {job.data.status === 'running' && (
        <button data-testid="job-cancel" onClick={() => void cancelJob(props.id).then(() => job.reload())}>
          Cancel job
        </button>
      )}
      <div class="dag" data-testid="job-dag" style="display:flex;gap:2em;align-items:flex-start">
        {columns.map((column) => (
          <div class="dag-column" style="display:flex;flex-direction:column;gap:1em">
            {column.map((id) => {
              const step = byId.get(id)!;
              return (
                <div class="card" data-testid={`step-${id}`}>
                  <h3>
                    {id} <span class={`status ${step.status}`}>{step.status}</span>
                  </h3>
                  {(deps.get(id) ?? []).length > 0 && <p class="hint">after {(deps.get(id) ?? []).join(', ')}</p>}
                  {step.reason && <p class="hint">{step.reason}</p>}
                  <p class="hint">{step.euId ? shortId(step.euId, 18) : 'EU not resolved yet'}</p>
                  {step.tasks.map((t) => (
                    <div>
                      <a href={taskHref(t.taskId)}>{shortId(t.taskId)}</a>{' '}
                      <span class={`status ${t.status}`}>{t.status}</span>
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </section>
  );
}
