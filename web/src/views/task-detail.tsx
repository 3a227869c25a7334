/**
 * One task: every assignment in order (operator, region, lease, how it ended and why, to
 * whom the work moved, the result's hash, agreement or dissent), the verdict, the receipt,
 * the ledger entries, and the task's events. Reloaded within a moment of any event of it.
 */
import { api, ApiError, query } from '../api.js';
import { dateTime, hash, shortId, time } from '../format.js';
import { useLive } from '../hooks.js';
import type { AssignmentView, CortenEvent, OperatorView, Receipt, TaskView } from '../types.js';
import { describeEvent } from './overview.js';

interface Detail {
  task: TaskView;
  events: CortenEvent[];
  receipt: Receipt | null;
  regionOf: Map<string, string>;
}

async function loadDetail(id: string): Promise<Detail> {
  const path = encodeURIComponent(id);
  const [task, page, operators] = await Promise.all([
    api<TaskView>(`/v1/tasks/${path}`),
    api<{ events: CortenEvent[] }>(`/v1/events${query({ taskId: id, limit: 5000 })}`),
    api<{ operators: OperatorView[] }>('/v1/operators'),
  ]);
  let receipt: Receipt | null = null;
  if (task.status === 'verified' || task.failure?.reason === 'eu_error') {
    receipt = await api<Receipt>(`/v1/tasks/${path}/receipt`).catch(() => null);
  }
  const regionOf = new Map(operators.operators.map((o) => [o.id, o.region]));
  // Regions of operators since gone are in the assignment events.
  for (const e of page.events) {
    const d = e.data as { operatorId?: string; region?: string };
    if (d.operatorId && d.region && !regionOf.has(d.operatorId)) regionOf.set(d.operatorId, d.region);
  }
  return { task, events: page.events, receipt, regionOf };
}

function ending(a: AssignmentView, events: CortenEvent[]): string {
  if (a.status === 'expired' || a.status === 'released' || a.status === 'cancelled') {
    const e = events.find(
      (x) => x.type === `assignment.${a.status}` && (x.data as { assignmentId?: string }).assignmentId === a.id,
    );
    const reason = (e?.data as { reason?: string } | undefined)?.reason ?? a.endReason;
    return reason ? `${a.status}: ${reason}` : a.status;
  }
  return a.endReason ? `${a.status}: ${a.endReason}` : a.status;
}

export function TaskDetailView(props: { id: string }) {
  const detail = useLive(
    () => loadDetail(props.id),
    (e) => e.taskId === props.id || e.type.startsWith('operator.'),
    [props.id],
  );
  if (detail.error) {
    const notFound = detail.error instanceof ApiError && detail.error.code === 'TASK_NOT_FOUND';
    return (
      <section>
        <h2>Task {props.id}</h2>
        <p class="error" data-testid="task-error">
          {notFound ? 'No such task visible to this sign-in.' : detail.error.message}
        </p>
      </section>
    );
  }
  if (!detail.data) return <p class="hint">loading…</p>;
  const { task, events, receipt, regionOf } = detail.data;
  const reassignedTo = new Map<string, CortenEvent>();
  for (const e of events) {
    if (e.type !== 'task.reassigned') continue;
    reassignedTo.set((e.data as { replaces: { assignmentId: string } }).replaces.assignmentId, e);
  }
  const verified = events.find((e) => e.type === 'task.verified');
  const agreeing = new Set((verified?.data as { agreeing?: string[] } | undefined)?.agreeing ?? []);
  const ledger = events.filter((e) => e.type.startsWith('ledger.'));

  return (
    <section class="task-detail" data-testid="task-detail">
      <h2>
        Task <code>{task.id}</code>{' '}
        <span class={`status ${task.status}`} data-testid="task-status">
          {task.status}
        </span>
      </h2>
      <table class="kv">
        <tr>
          <td>EU</td>
          <td>
            <code>{task.euId}</code>
          </td>
        </tr>
        <tr>
          <td>submitted</td>
          <td>{dateTime(task.submittedAt)}</td>
        </tr>
        <tr>
          <td>finished</td>
          <td>{dateTime(task.finishedAt)}</td>
        </tr>
        <tr>
          <td>replicas / quorum / max</td>
          <td>
            {task.replicas} / {task.quorum} / {task.maxReplicas}
          </td>
        </tr>
        <tr>
          <td>attempts</td>
          <td>{task.attempts}</td>
        </tr>
        {task.failure && (
          <tr>
            <td>failure</td>
            <td class="error">
              {task.failure.reason}: {task.failure.message}
            </td>
          </tr>
        )}
      </table>

      <h3>Assignments</h3>
      <table class="list" data-testid="assignments">
        <thead>
          <tr>
            <th>#</th>
            <th>operator</th>
            <th>region</th>
            <th>leased</th>
            <th>lease until</th>
            <th>ended</th>
            <th>how</th>
            <th>moved to</th>
            <th>result</th>
            <th>verdict</th>
          </tr>
        </thead>
        <tbody>
          {task.assignments.map((a) => {
            const moved = reassignedTo.get(a.id);
            const movedData = moved?.data as { operatorId: string; region: string } | undefined;
            const verdict =
              a.status === 'accepted' || agreeing.has(a.operatorId)
                ? 'agree'
                : a.dissenting
                  ? 'dissent'
                  : a.status === 'rejected'
                    ? 'rejected'
                    : '—';
            return (
              <tr data-assignment={a.id} data-operator={a.operatorId} data-status={a.status}>
                <td>{a.attempt}</td>
                <td title={a.operatorId}>
                  <code>{shortId(a.operatorId, 18)}</code>
                </td>
                <td>{regionOf.get(a.operatorId) ?? '—'}</td>
                <td>{time(a.leasedAt)}</td>
                <td>{time(a.leaseExpiresAt)}</td>
                <td>{time(a.finishedAt)}</td>
                <td>
                  <span class={`status ${a.status}`}>{ending(a, events)}</span>
                </td>
                <td data-testid="moved-to">
                  {movedData ? `${shortId(movedData.operatorId, 18)} (${movedData.region})` : '—'}
                </td>
                <td title={a.outputHash ?? ''}>
                  {a.errorCode ? <span class="error">{a.errorCode}</span> : hash(a.outputHash)}
                  {a.durationMs != null ? ` · ${a.durationMs} ms` : ''}
                </td>
                <td class={verdict}>{verdict}</td>
              </tr>
            );
          })}
          {task.assignments.length === 0 && (
            <tr>
              <td colSpan={10} class="hint">
                waiting for an operator
              </td>
            </tr>
          )}
        </tbody>
      </table>

      <h3>Verdict</h3>
      {task.verdict ? (
        <div data-testid="verdict">
          <p>
            Accepted output <code>{task.verdict.outputHash}</code>
          </p>
          <pre class="output">{JSON.stringify(task.verdict.output, null, 2)}</pre>
        </div>
      ) : (
        <p class="hint">no verdict yet</p>
      )}

      <h3>Receipt</h3>
      {receipt ? (
        <table class="kv" data-testid="receipt">
          <tr>
            <td>id</td>
            <td>
              <code>{receipt.id}</code>
            </td>
          </tr>
          <tr>
            <td>outcome</td>
            <td>{receipt.outcome}</td>
          </tr>
          <tr>
            <td>policy</td>
            <td>
              {receipt.verification.policy}, quorum {receipt.verification.quorum}
              {receipt.verification.solo ? ', solo (adaptive)' : ''}
            </td>
          </tr>
          <tr>
            <td>signed by</td>
            <td>{receipt.agreeing.map((s) => shortId(s.operatorId, 18)).join(', ')}</td>
          </tr>
          <tr>
            <td>ledger entries</td>
            <td>{receipt.ledgerEntries.join(', ')}</td>
          </tr>
        </table>
      ) : (
        <p class="hint">no receipt (there is one once a verdict is reached)</p>
      )}

      <h3>Ledger entries</h3>
      <table class="list" data-testid="ledger">
        <tbody>
          {ledger.map((e) => (
            <tr>
              <td>{time(e.ts)}</td>
              <td>{e.type}</td>
              <td>{(e.data as { entryId?: string }).entryId ?? ''}</td>
              <td class="num">{String((e.data as { amount?: number }).amount ?? '')}</td>
              <td>{describeEvent(e)}</td>
            </tr>
          ))}
          {ledger.length === 0 && (
            <tr>
              <td class="hint">none (a free EU moves no value)</td>
            </tr>
          )}
        </tbody>
      </table>

      <h3>Events</h3>
      <table class="list" data-testid="task-events">
        <tbody>
          {events.map((e) => (
            <tr data-type={e.type}>
              <td>{time(e.ts)}</td>
              <td>{e.type}</td>
              <td>{describeEvent(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
