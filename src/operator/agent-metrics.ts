/**
 * The agent's own figures for Prometheus, served on 127.0.0.1 only
 * (`corten operator --metrics-port N`, GET /metrics): what it ran and how it
 * went, what the coordinator refused, how often it reconnected, and its stake
 * and earnings as the coordinator last told it (standing notices). The
 * figures come from the agent's events; the agent knows nothing of them.
 *
 * Every name starts `corten_operator_`, so one Prometheus may scrape an
 * operator and its coordinator without a clash.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StandingMessage } from '../protocol/index.js';
import type { Agent, Execution } from './agent.js';

/** Seconds: from a cheap NLP EU (milliseconds) to a local LLM's long answer (minutes). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class AgentMetrics {
  readonly registry = new Registry();
  readonly tasksRun = new Counter({
    name: 'corten_operator_tasks_run_total',
    help: 'Executions finished, by EU',
    labelNames: ['eu'],
    registers: [this.registry],
  });
  readonly tasksFailed = new Counter({
    name: 'corten_operator_tasks_failed_total',
    help: 'Executions that ended in an error result, by EU',
    labelNames: ['eu'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'corten_operator_task_duration_seconds',
    help: 'Execution time, by EU',
    labelNames: ['eu'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'corten_operator_results_refused_total',
    help: 'Results the coordinator refused, by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: 'corten_operator_reconnects_total',
    help: 'Connections to the coordinator after the first',
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: 'corten_operator_connected',
    help: '1 while connected and welcomed by the coordinator',
    registers: [this.registry],
  });
  readonly stake = new Gauge({
    name: 'corten_operator_stake_credits',
    help: 'Bonded stake, as the coordinator last told it',
    registers: [this.registry],
  });
  readonly unbonding = new Gauge({
    name: 'corten_operator_unbonding_credits',
    help: 'Stake waiting out its unbonding period, as the coordinator last told it',
    registers: [this.registry],
  });
  readonly earnings = new Gauge({
    name: 'corten_operator_earnings_credits',
    help: 'Earnings not yet paid out, as the coordinator last told it',
    registers: [this.registry],
  });
  readonly eligible = new Gauge({
    name: 'corten_operator_eligible',
    help: '1 when the coordinator may give this operator work (staked and not suspended)',
    registers: [this.registry],
  });
  readonly slashes = new Counter({
    name: 'corten_operator_slashed_credits_total',
    help: 'Stake slashed since the agent started, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  /** Follows `agent`'s events. */
  constructor(agent: Agent) {
    agent.on('executed', (e: Execution) => {
      const eu = `${e.eu}@${e.version}`;
      this.tasksRun.inc({ eu });
      if (!e.ok) this.tasksFailed.inc({ eu });
      this.duration.observe({ eu }, e.durationMs / 1000);
    });
    agent.on('refused', (r: { code: string }) => this.refused.inc({ code: r.code }));
    agent.on('reconnected', () => this.reconnects.inc());
    agent.on('welcome', () => this.connected.set(1));
    agent.on('disconnected', () => this.connected.set(0));
    agent.on('standing', (s: StandingMessage) => {
      // Figures from the coordinator, checked before use: a gauge refuses what is not a number.
      const set = (gauge: Gauge, value: unknown) =>
        typeof value === 'number' && Number.isFinite(value) && gauge.set(value);
      set(this.stake, s.stake);
      set(this.unbonding, s.unbonding);
      set(this.earnings, s.earnings);
      this.eligible.set(s.eligible === true ? 1 : 0);
      for (const change of Array.isArray(s.changes) ? s.changes : []) {
        if (change?.kind === 'slashed' && typeof change.amount === 'number' && change.amount > 0)
          this.slashes.inc({ reason: String(change.reason) }, change.amount);
      }
    });
  }
}

/**
 * Serves `metrics` at http://127.0.0.1:<port>/metrics (loopback only: put a
 * scraper on the same machine, or a proxy you control, in front of it).
 * Port 0 picks a free one; the server's address says which.
 */
export async function serveAgentMetrics(metrics: AgentMetrics, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.unref();
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
