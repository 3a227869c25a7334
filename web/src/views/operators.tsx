/**
 * Operators by region: status, heartbeat age, load, uptime, agreement, latency, stake,
 * earnings and slashes; and each operator's reputation score over time, sampled on every
 * reload since the page opened (the coordinator keeps the current figures, not their history).
 */
import { useEffect, useRef } from 'preact/hooks';
import { api } from '../api.js';
import { COLORS, TimeChart } from '../chart.js';
import { age, percent, shortId } from '../format.js';
import { useLive, useNow } from '../hooks.js';
import { feed } from '../live.js';
import type { OperatorView } from '../types.js';

/** Samples kept per operator: ten minutes at one every 2 s. */
const MAX_SAMPLES = 300;
/** Reload at least this often, so heartbeat ages and the chart move without events. */
const POLL_MS = 2000;

interface Sample {
  t: number;
  scores: Map<string, number>;
}

/** Per operator, from the events this page holds: median result latency, credits earned and slashed. */
function figuresFromEvents() {
  const latency = new Map<string, number[]>();
  const earned = new Map<string, number>();
  const slashed = new Map<string, number>();
  for (const e of feed.recent) {
    const d = e.data as { operatorId?: string; durationMs?: number; amount?: number };
    if (!d.operatorId) continue;
    if (e.type === 'result.received' && typeof d.durationMs === 'number') {
      const list = latency.get(d.operatorId) ?? [];
      list.push(d.durationMs);
      latency.set(d.operatorId, list);
    } else if (e.type === 'ledger.rewarded')
      earned.set(d.operatorId, (earned.get(d.operatorId) ?? 0) + (d.amount ?? 0));
    else if (e.type === 'ledger.slashed') slashed.set(d.operatorId, (slashed.get(d.operatorId) ?? 0) + (d.amount ?? 0));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { latency: (id: string) => median(latency.get(id) ?? []), earned, slashed };
}

export function OperatorsView() {
  const now = useNow(1000);
  const ops = useLive(
    () => api<{ operators: OperatorView[] }>('/v1/operators'),
    (e) => e.type.startsWith('operator.') || e.type.startsWith('ledger.') || e.type === 'task.verified',
  );
  const samples = useRef<Sample[]>([]);
  const { reload } = ops;
  useEffect(() => {
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (!ops.data) return;
    samples.current.push({
      t: Date.now() / 1000,
      scores: new Map(ops.data.operators.map((o) => [o.id, o.reputation.score])),
    });
    if (samples.current.length > MAX_SAMPLES) samples.current.shift();
  }, [ops.data]);

  const operators = ops.data?.operators ?? [];
  const regions = [...new Set(operators.map((o) => o.region))].sort();
  const figures = figuresFromEvents();
  const charted = operators.slice(0, COLORS.length);

  return (
    <section>
      <h2>Operators</h2>
      {ops.error && <p class="error">{ops.error.message}</p>}
      {regions.map((region) => (
        <div class="region">
          <h3>
            {region}{' '}
            <span class="hint">
              {operators.filter((o) => o.region === region && o.connected).length} of{' '}
              {operators.filter((o) => o.region === region).length} online
            </span>
          </h3>
          <table class="list" data-testid={`operators-${region}`}>
            <thead>
              <tr>
                <th>operator</th>
                <th>status</th>
                <th>heartbeat</th>
                <th>load</th>
                <th>uptime</th>
                <th>agreement</th>
                <th>latency p50</th>
                <th>stake</th>
                <th>earned</th>
                <th>slashed</th>
                <th>score</th>
              </tr>
            </thead>
            <tbody>
              {operators
                .filter((o) => o.region === region)
                .map((o) => {
                  const status = o.connected ? o.status : 'offline';
                  const latency = figures.latency(o.id);
                  return (
                    <tr data-operator={o.id} data-status={status}>
                      <td title={o.id}>
                        <a href={`#/events?operator=${encodeURIComponent(o.id)}`}>
                          <code>{shortId(o.id, 18)}</code>
                        </a>
                      </td>
                      <td>
                        <span class={`status ${status}`} data-testid="operator-status">
                          {status}
                        </span>
                        {o.statusReason ? <span class="hint"> {o.statusReason}</span> : ''}
                      </td>
                      <td>{age(o.lastSeenAt, now)} ago</td>
                      <td class="num">
                        {o.active}/{o.slots}
                      </td>
                      <td class="num">{percent(o.reputation.uptime)}</td>
                      <td class="num">{percent(o.reputation.agreement)}</td>
                      <td class="num">{latency === undefined ? '—' : `${latency} ms`}</td>
                      <td class="num">{o.stake}</td>
                      <td class="num">{figures.earned.get(o.id) ?? 0}</td>
                      <td class="num">{figures.slashed.get(o.id) ?? 0}</td>
                      <td class="num">{o.reputation.score.toFixed(2)}</td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </div>
      ))}
      {operators.length === 0 && ops.data && <p class="hint">no operator has connected yet</p>}
      <TimeChart
        title="Reputation score since this page opened"
        testId="reputation"
        x={samples.current.map((s) => s.t)}
        series={charted.map((o, i) => ({
          label: shortId(o.id, 12),
          color: COLORS[i]!,
          values: samples.current.map((s) => s.scores.get(o.id) ?? null),
        }))}
      />
      <p class="hint">Earned, slashed and latency count the events this page holds (the last few thousand).</p>
    </section>
  );
}
