/** Jobs and workflows: shown once the coordinator runs workflows (it answers GET /v1/jobs). */
import { api, ApiError } from '../api.js';
import { useLive } from '../hooks.js';

export function JobsView() {
  const jobs = useLive(
    () => api<unknown>('/v1/jobs'),
    (e) => e.type.startsWith('job.'),
  );
  const absent = jobs.error instanceof ApiError && jobs.error.status === 404;
  return (
    <section data-testid="jobs">
      <h2>Jobs</h2>
      {absent ? (
        <p class="hint">This coordinator does not run workflows yet: there are no jobs to show.</p>
      ) : jobs.error ? (
        <p class="error">{jobs.error.message}</p>
      ) : (
        <pre class="output">{JSON.stringify(jobs.data, null, 2)}</pre>
      )}
    </section>
  );
}
