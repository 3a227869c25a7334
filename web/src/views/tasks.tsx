/**
 * Tasks: search and filter (id, EU, status, failure, operator, region, time), newest first,
 * paged by key; select tasks and cancel them or retry the failed ones. The server applies
 * the sign-in's scope: an account finds only its own tasks.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, query, type Session } from '../api.js';
import { dateTime, shortId } from '../format.js';
import { useLive } from '../hooks.js';
import { go, taskHref } from '../router.js';
import type { TaskView } from '../types.js';

type TaskSummary = Omit<TaskView, 'assignments' | 'verdict'>;

const FILTERS = ['id', 'eu', 'status', 'failure', 'operator', 'region', 'since', 'until'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
const STATUSES = ['', 'pending', 'running', 'verifying', 'escalated', 'verified', 'failed'];
const PAGE = 50;

/** datetime-local text ↔ ms since epoch, for the since/until filters. */
function toMs(local: string | undefined): number | undefined {
  if (!local) return undefined;
  const ms = new Date(local).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

interface BulkOutcome {
  done: string[];
  refused: { id: string; code: string; message: string }[];
}

export function TasksView(props: { session: Session; params: URLSearchParams }) {
  const initial: Filters = {};
  for (const f of FILTERS) {
    const v = props.params.get(f);
    if (v) initial[f] = v;
  }
  const [form, setForm] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  // Keyset paging: the last id of each earlier page.
  const [pages, setPages] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState<string>('');
  const after = pages[pages.length - 1];

  const list = useLive(
    () =>
      api<{ tasks: TaskSummary[]; next: string | null }>(
        `/v1/tasks${query({
          ...filters,
          since: toMs(filters.since),
          until: toMs(filters.until),
          order: 'desc',
          limit: PAGE,
          after,
        })}`,
      ),
    (e) => e.type.startsWith('task.'),
    [JSON.stringify(filters), after],
  );

  const apply = (e: Event) => {
    e.preventDefault();
    setFilters({ ...form });
    setPages([]);
    setSelected(new Set());
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) if (v) search.set(k, v);
    go(`tasks${search.toString() ? `?${search.toString()}` : ''}`);
  };

  const bulk = async (action: 'cancel' | 'retry') => {
    try {
      const result = await api<BulkOutcome>(`/v1/tasks/${action}`, { method: 'POST', body: { ids: [...selected] } });
      const refused = result.refused.length
        ? `; refused ${result.refused.length} (${result.refused[0]!.code}: ${result.refused[0]!.message})`
        : '';
      setOutcome(`${action}: ${result.done.length} done${refused}`);
      setSelected(new Set());
      list.reload();
    } catch (error) {
      setOutcome(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));
    }
  };

  const tasks = list.data?.tasks ?? [];
  const field = (name: (typeof FILTERS)[number], type = 'text', placeholder = '') => (
    <label>
      {name}
      <input
        name={name}
        type={type}
        value={form[name] ?? ''}
        placeholder={placeholder}
        onInput={(e) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );

  return (
    <section>
      <h2>Tasks</h2>
      <form class="filters" onSubmit={apply} data-testid="task-filters">
        {field('id', 'text', 'id or its start')}
        {field('eu', 'text', 'name, name@version or id')}
        <label>
          status
          <select
            name="status"
            value={form.status ?? ''}
            onChange={(e) => setForm({ ...form, status: (e.target as HTMLSelectElement).value })}
          >
            {STATUSES.map((s) => (
              <option value={s}>{s || 'any'}</option>
            ))}
          </select>
        </label>
        {field('failure', 'text', 'unverifiable, eu_error…')}
        {field('operator', 'text', 'op_…')}
        {field('region')}
        {field('since', 'datetime-local')}
        {field('until', 'datetime-local')}
        <button type="submit">Search</button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setForm({ status: 'failed' });
            setFilters({ status: 'failed' });
            setPages([]);
          }}
        >
          failed only
        </button>
      </form>
      <div class="bulk">
        <span>{selected.size} selected</span>
        <button disabled={selected.size === 0} onClick={() => void bulk('retry')} data-testid="bulk-retry">
          Retry failed
        </button>
        <button disabled={selected.size === 0} onClick={() => void bulk('cancel')} data-testid="bulk-cancel">
          Cancel
        </button>
        <span class="hint" data-testid="bulk-outcome">
          {outcome}
        </span>
      </div>
      {list.error && <p class="error">{list.error.message}</p>}
      <table class="list" data-testid="task-list">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="select all"
                checked={tasks.length > 0 && tasks.every((t) => selected.has(t.id))}
                onChange={(e) =>
                  setSelected((e.target as HTMLInputElement).checked ? new Set(tasks.map((t) => t.id)) : new Set())
                }
              />
            </th>
            <th>task</th>
            <th>EU</th>
            <th>status</th>
            <th>replicas</th>
            <th>submitted</th>
            <th>finished</th>
            <th>failure</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr data-task={t.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`select ${t.id}`}
                  checked={selected.has(t.id)}
                  onChange={(e) => {
                    const next = new Set(selected);
                    if ((e.target as HTMLInputElement).checked) next.add(t.id);
                    else next.delete(t.id);
                    setSelected(next);
                  }}
                />
              </td>
              <td>
                <a href={taskHref(t.id)}>
                  <code>{t.id}</code>
                </a>
              </td>
              <td title={t.euId}>{shortId(t.euId, 16)}</td>
              <td>
                <span class={`status ${t.status}`}>{t.status}</span>
              </td>
              <td class="num">{t.replicas}</td>
              <td>{dateTime(t.submittedAt)}</td>
              <td>{dateTime(t.finishedAt)}</td>
              <td>{t.failure ? `${t.failure.reason}` : ''}</td>
            </tr>
          ))}
          {list.data && tasks.length === 0 && (
            <tr>
              <td colSpan={8} class="hint" data-testid="no-tasks">
                no tasks match
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div class="pager">
        <button disabled={pages.length === 0} onClick={() => setPages(pages.slice(0, -1))}>
          ← newer
        </button>
        <span>page {pages.length + 1}</span>
        <button
          disabled={!list.data?.next}
          onClick={() => list.data?.next && setPages([...pages, list.data.next])}
          data-testid="next-page"
        >
          older →
        </button>
      </div>
    </section>
  );
}
