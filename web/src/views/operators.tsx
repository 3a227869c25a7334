/**
 * Operators by region: status, heartbeat age, load, uptime, agreement, latency, stake,
 * earnings and slashes, every figure as the coordinator serves it on GET /v1/operators (totals
 * kept with the ledger, not counted from the events this page holds); and each operator's
 * reputation score over time (reputation-chart.tsx). The table reloads when the stream brings an
 * event that moves it, and every few seconds for heartbeat ages and uptime, which move without one.
 */
import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import { COLORS } from '../chart.js';
import { age, percent, shortId } from '../format.js';
import { useLive, useNow } from '../hooks.js';
import type { OperatorView } from '../types.js';
import { ReputationChart } from './reputation-chart.js';

/** Reload at least this often: heartbeats and uptime move without events. */
const POLL_MS = 2000;

export function OperatorsView() {
  const now = useNow(1000);
  const ops = useLive(
    () => api<{ operators: OperatorView[] }>('/v1/operators'),
    (e) => e.type.startsWith('operator.') || e.type.startsWith('ledger.') || e.type === 'task.verified',
  );
  const { reload } = ops;
  useEffect(() => {
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, []);

  const operators = ops.data?.operators ?? [];
  const regions = [...new Set(operators.map((o) => o.region))].sort();
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
                      <td class="num">{o.latencyMs === null ? '—' : `${o.latencyMs} ms`}</td>
                      <td class="num">{o.stake}</td>
                      <td class="num" data-testid="operator-earned">
                        {o.earned}
                      </td>
                      <td class="num" data-testid="operator-slashed">
                        {o.slashed}
                        {o.slashes > 0 ? <span class="hint"> ({o.slashes}×)</span> : ''}
                      </td>
                      <td class="num">{o.reputation.score.toFixed(2)}</td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </div>
      ))}
      {operators.length === 0 && ops.data && <p class="hint">no operator has connected yet</p>}
      {ops.data && <ReputationChart operators={charted} now={now} />}
    </section>
  );
}
