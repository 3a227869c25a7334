/**
 * Overview: throughput over time, tasks by status, how verification stands, operators
 * online per region and the regions down, and the latest faults. Charts are drawn from the
 * live feed's recent events; counts and regions reload when an event changes them.
 */
import { api } from '../api.js';
import { COLORS, TimeChart } from '../chart.js';
import { shortId, time } from '../format.js';
import { useFeedVersion, useLive, useNow } from '../hooks.js';
import { feed } from '../live.js';
import { taskHref } from '../router.js';
import type { CortenEvent, RegionView, TaskStatus } from '../types.js';

/** Seconds of history the throughput chart shows. */
const WINDOW_S = 120;
/** Wait before recounting after task events: under the 1 s a change may take to show, with the count itself. */
const COUNTS_COALESCE_MS = 500;

export interface TaskCounts {
  byStatus: Record<TaskStatus, number>;
  failures: Record<string, number>;
}

/** Event types shown as faults: something went wrong, somewhere. */
export const FAULT_TYPES = new Set([
  'assignment.expired',
  'assignment.released',
  'task.failed',
  'task.escalated',
  'operator.offline',
  'operator.degraded',
  'operator.suspended',
  'region.down',
  'results.refused',
  'ledger.slashed',
]);

export function describeEvent(e: CortenEvent): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'assignment.expired':
      return `lease of ${shortId(String(d.operatorId))} expired (${String(d.reason)})`;
    case 'assignment.released':
      return `${shortId(String(d.operatorId))} released its lease (${String(d.reason)})`;
    case 'task.reassigned': {
      const r = d.replaces as { operatorId: string; reason: string };
      return `reassigned from ${shortId(r.operatorId)} (${r.reason}) to ${shortId(String(d.operatorId))} in ${String(d.region)}`;
    }
    case 'task.failed':
      return `failed: ${String(d.reason)} — ${String(d.message)}`;
    case 'task.escalated':
      return `escalated to ${String(d.replicas)} replicas: ${String(d.reason)}`;
    case 'task.verified':
      return `verified, ${(d.agreeing as string[]).length} agreeing, ${(d.dissenting as string[]).length} dissenting`;
    case 'task.assigned':
      return `assigned to ${shortId(String(d.operatorId))} in ${String(d.region)} (attempt ${String(d.attempt)})`;
    case 'operator.offline':
      return `${shortId(String(d.operatorId))} offline in ${String(d.region)}: ${String(d.reason)}`;
    case 'operator.online':
      return `${shortId(String(d.operatorId))} online in ${String(d.region)}`;
    case 'region.down':
    case 'region.up':
      return `region ${String(d.region)}: ${String(d.reason)}`;
    case 'ledger.slashed':
      return `${shortId(String(d.operatorId))} slashed ${String(d.amount)} (${String(d.reason)})`;
    case 'results.refused':
      return `${String(d.total)} results refused from ${shortId(String(d.operatorId))}`;
    case 'result.received':
      return `result from ${shortId(String(d.operatorId))}: ${String(d.outputHash).slice(0, 10)}… in ${String(d.durationMs)} ms`;
    case 'verification.progress':
      return `${String(d.results)}/${String(d.replicas)} results, leading ${String(d.leading)} of quorum ${String(d.quorum)}`;
    default:
      return Object.entries(d)
        .filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
  }
}

function throughput(events: readonly CortenEvent[], now: number) {
  const end = Math.floor(now / 1000);
  const start = end - WINDOW_S + 1;
  const x: number[] = [];
  for (let s = start; s <= end; s++) x.push(s);
  const verified = new Array<number>(WINDOW_S).fill(0);
  const executions = new Array<number>(WINDOW_S).fill(0);
  const failures = new Array<number>(WINDOW_S).fill(0);
  const losses = new Array<number>(WINDOW_S).fill(0);
  for (const e of events) {
    const i = Math.floor(e.ts / 1000) - start;
    if (i < 0 || i >= WINDOW_S) continue;
    if (e.type === 'task.verified') verified[i]! += 1;
    else if (e.type === 'result.received') executions[i]! += 1;
    else if (e.type === 'task.failed') failures[i]! += 1;
    else if (e.type === 'assignment.expired') losses[i]! += 1;
  }
  return { x, verified, executions, failures, losses };
}

export function OverviewView() {
  useFeedVersion();
  const now = useNow(1000);
  // Counting reads a whole index of the tasks table: at most about twice a second, however busy the network.
  const counts = useLive(
    () => api<TaskCounts>('/v1/tasks/counts'),
    (e) => e.type.startsWith('task.'),
    [],
    { coalesceMs: COUNTS_COALESCE_MS },
  );
  const regions = useLive(
    () => api<{ regions: RegionView[] }>('/v1/regions'),
    (e) => e.type.startsWith('operator.') || e.type.startsWith('region.'),
  );
  const t = throughput(feed.recent, now);
  const byStatus = counts.data?.byStatus;
  const faults = feed.recent
    .filter((e) => FAULT_TYPES.has(e.type))
    .slice(-15)
    .reverse();
  const awaiting = byStatus ? byStatus.pending + byStatus.running + byStatus.verifying : 0;
  const down = (regions.data?.regions ?? []).filter((r) => r.down);

  return (
    <section class="overview">
      <h2>Overview</h2>
      <div class="cards">
        <div class="card" data-testid="tasks-by-status">
          <h3>Tasks by status</h3>
          {byStatus ? (
            <table class="kv">
              {(Object.entries(byStatus) as [string, number][]).map(([status, n]) => (
                <tr>
                  <td>
                    <a href={`#/tasks?status=${status}`}>
                      <span class={`status ${status}`}>{status}</span>
                    </a>
                  </td>
                  <td class="num" data-status={status}>
                    {n}
                  </td>
                </tr>
              ))}
            </table>
          ) : (
            <p class="hint">{counts.error ? counts.error.message : 'loading…'}</p>
          )}
        </div>
        <div class="card" data-testid="verification">
          <h3>Verification</h3>
          <table class="kv">
            <tr>
              <td>pending</td>
              <td class="num">{awaiting}</td>
            </tr>
            <tr>
              <td>escalated</td>
              <td class="num">{byStatus?.escalated ?? 0}</td>
            </tr>
            <tr>
              <td>verified</td>
              <td class="num">{byStatus?.verified ?? 0}</td>
            </tr>
            <tr>
              <td>unverifiable</td>
              <td class="num">{counts.data?.failures.unverifiable ?? 0}</td>
            </tr>
          </table>
        </div>
        <div class="card" data-testid="regions">
          <h3>Operators online by region</h3>
          <table class="kv">
            {(regions.data?.regions ?? []).map((r) => (
              <tr class={r.down ? 'down' : ''}>
                <td>{r.region}</td>
                <td class="num" data-region={r.region}>
                  {r.online}/{r.operators}
                </td>
                <td>{r.down ? <span class="status failed">down: {r.reason}</span> : ''}</td>
              </tr>
            ))}
          </table>
          <p class="hint">{down.length === 0 ? 'no region down' : `${down.length} region(s) down`}</p>
        </div>
      </div>
      <div class="charts">
        <TimeChart
          title="Per second, last 2 minutes"
          testId="throughput"
          x={t.x}
          series={[
            { label: 'verified/s', color: COLORS[1]!, values: t.verified },
            { label: 'executions/s', color: COLORS[0]!, values: t.executions },
            { label: 'failures/s', color: COLORS[2]!, values: t.failures },
            { label: 'leases lost/s', color: COLORS[3]!, values: t.losses },
          ]}
        />
      </div>
      <h3>Recent faults</h3>
      <table class="list" data-testid="recent-faults">
        <thead>
          <tr>
            <th>time</th>
            <th>type</th>
            <th>task</th>
            <th>what</th>
          </tr>
        </thead>
        <tbody>
          {faults.map((e) => (
            <tr>
              <td>{time(e.ts)}</td>
              <td>{e.type}</td>
              <td>{e.taskId ? <a href={taskHref(e.taskId)}>{shortId(e.taskId, 20)}</a> : '—'}</td>
              <td>{describeEvent(e)}</td>
            </tr>
          ))}
          {faults.length === 0 && (
            <tr>
              <td colSpan={4} class="hint">
                no faults in the recent events
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
