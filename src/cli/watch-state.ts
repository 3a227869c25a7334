/**
 * What `corten watch` shows, folded from the event log: per EU and per job
 * how many tasks were submitted, are running, verified or failed; the
 * reassignments and escalations, with the latest few; and the operators
 * online in each region. Pure: it takes events (and, on each connection,
 * the coordinator's operator and region lists) and knows nothing of
 * terminals or HTTP, so it is tested in-process.
 *
 * Jobs are read tolerantly: any event that names a `jobId` (at the top
 * level or in its data) counts toward that job, and an event type
 * `job.<status>` sets its status, so the watch works with or without
 * workflows on the coordinator.
 */
import type { CortenEvent, OperatorView, RegionView } from '../protocol/index.js';

/** Latest reassignments and escalations kept for display. */
const RECENT = 5;

export interface Tally {
  submitted: number;
  verified: number;
  failed: number;
  /** Tasks that were escalated (more replicas asked for) at least once. */
  escalated: number;
}

export interface JobTally extends Tally {
  /** From the last `job.<status>` event; `running` until one says otherwise. */
  status: string;
}

export interface RegionTally {
  online: number;
  operators: number;
  down: boolean;
}

export interface WatchSnapshot {
  /** The last event folded in. */
  position: number | undefined;
  events: number;
  eus: Record<string, Tally>;
  jobs: Record<string, JobTally>;
  reassignments: { total: number; recent: string[] };
  escalations: { total: number; recent: string[] };
  refusedResults: number;
  /** Tasks waiting for an operator able to run them, by the reason their `task.waiting` event gave. */
  waiting: Record<string, number>;
  regions: Record<string, RegionTally>;
}

/** Operator statuses in which an operator takes work. */
const ONLINE = new Set(['online', 'degraded']);

const emptyTally = (): Tally => ({ submitted: 0, verified: 0, failed: 0, escalated: 0 });

function jobIdOf(event: CortenEvent): string | undefined {
  const top = (event as { jobId?: unknown }).jobId;
  if (typeof top === 'string') return top;
  const inData = (event.data as { jobId?: unknown } | null)?.jobId;
  return typeof inData === 'string' ? inData : undefined;
}

function keep(list: string[], line: string): void {
  list.unshift(line);
  if (list.length > RECENT) list.length = RECENT;
}

export class WatchState {
  private position: number | undefined;
  private events = 0;
  private readonly eus = new Map<string, Tally>();
  private readonly jobs = new Map<string, JobTally>();
  /** The EU (and job) of each task seen submitted: settlements count where the submission did. */
  private readonly taskHome = new Map<string, { eu: string; job: string | undefined; escalated: boolean }>();
  private readonly reassignments = { total: 0, recent: [] as string[] };
  private readonly escalations = { total: 0, recent: [] as string[] };
  private refusedResults = 0;
  private readonly waiting = new Map<string, string>();
  private readonly operators = new Map<string, { region: string; online: boolean }>();
  private readonly downRegions = new Set<string>();

  /** `nameOf` turns an EU id into what the table shows (`name@version`); unknown ids show as they are. */
  constructor(private readonly nameOf: (euId: string) => string = (id) => id) {}

  /** Takes the coordinator's view of the network, on every (re)connection: statuses may have moved while away. */
  seed(operators: readonly OperatorView[], regions: readonly RegionView[]): void {
    this.operators.clear();
    for (const op of operators) this.operators.set(op.id, { region: op.region, online: ONLINE.has(op.status) });
    this.downRegions.clear();
    for (const r of regions) if (r.down) this.downRegions.add(r.region);
  }

  apply(event: CortenEvent): void {
    this.position = event.seq;
    this.events += 1;
    const data = event.data as Record<string, unknown>;
    const job = jobIdOf(event);
    if (event.type.startsWith('job.') && job !== undefined) {
      this.job(job).status = event.type.slice('job.'.length);
    }
    // `task.waiting` (no online operator can run the task) is read by name: the watch works with or without it.
    if ((event.type as string) === 'task.waiting' && event.taskId) {
      this.waiting.set(event.taskId, typeof data.reason === 'string' ? data.reason : 'waiting');
    } else if (
      event.taskId &&
      (event.type === 'task.assigned' || event.type === 'task.verified' || event.type === 'task.failed')
    ) {
      this.waiting.delete(event.taskId);
    }
    switch (event.type) {
      case 'task.submitted': {
        const eu = this.nameOf(String(data.euId));
        this.taskHome.set(event.taskId!, { eu, job, escalated: false });
        this.tally(eu, job, (t) => (t.submitted += 1));
        break;
      }
      case 'task.verified':
      case 'task.failed': {
        const home = this.taskHome.get(event.taskId!);
        if (!home) break;
        this.taskHome.delete(event.taskId!);
        const field = event.type === 'task.verified' ? 'verified' : 'failed';
        this.tally(home.eu, home.job, (t) => (t[field] += 1));
        break;
      }
      case 'task.escalated': {
        this.escalations.total += 1;
        keep(this.escalations.recent, `${event.taskId} to ${String(data.replicas)} replicas: ${String(data.reason)}`);
        const home = this.taskHome.get(event.taskId!);
        if (home && !home.escalated) {
          home.escalated = true;
          this.tally(home.eu, home.job, (t) => (t.escalated += 1));
        }
        break;
      }
      case 'task.reassigned': {
        this.reassignments.total += 1;
        const replaces = data.replaces as { operatorId: string; reason: string };
        keep(
          this.reassignments.recent,
          `${event.taskId}: ${replaces.operatorId} (${replaces.reason}) → ${String(data.operatorId)} in ${String(data.region)}`,
        );
        break;
      }
      case 'results.refused':
        this.refusedResults += Number(data.total) || 0;
        break;
      case 'operator.online':
        this.operators.set(event.operatorId!, { region: String(data.region), online: true });
        break;
      case 'operator.offline':
      case 'operator.suspended':
      case 'operator.draining':
        this.setOnline(event.operatorId, false);
        break;
      case 'operator.recovered':
      case 'operator.reinstated':
        this.setOnline(event.operatorId, true);
        break;
      case 'coordinator.started':
        // A restarted coordinator starts with every operator offline until it reconnects (engine/recovery.ts).
        for (const op of this.operators.values()) op.online = false;
        break;
      case 'region.down':
        this.downRegions.add(String(data.region));
        break;
      case 'region.up':
        this.downRegions.delete(String(data.region));
        break;
    }
  }

  snapshot(): WatchSnapshot {
    const regions: Record<string, RegionTally> = {};
    for (const op of this.operators.values()) {
      const r = (regions[op.region] ??= { online: 0, operators: 0, down: false });
      r.operators += 1;
      if (op.online) r.online += 1;
    }
    for (const region of this.downRegions) (regions[region] ??= { online: 0, operators: 0, down: true }).down = true;
    return {
      position: this.position,
      events: this.events,
      eus: Object.fromEntries([...this.eus].map(([k, v]) => [k, { ...v }])),
      jobs: Object.fromEntries([...this.jobs].map(([k, v]) => [k, { ...v }])),
      reassignments: { total: this.reassignments.total, recent: [...this.reassignments.recent] },
      escalations: { total: this.escalations.total, recent: [...this.escalations.recent] },
      refusedResults: this.refusedResults,
      waiting: [...this.waiting.values()].reduce<Record<string, number>>((out, reason) => {
        out[reason] = (out[reason] ?? 0) + 1;
        return out;
      }, {}),
      regions: Object.fromEntries(Object.entries(regions).sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  private setOnline(operatorId: string | null, online: boolean): void {
    const op = operatorId === null ? undefined : this.operators.get(operatorId);
    if (op) op.online = online;
  }

  private job(id: string): JobTally {
    let job = this.jobs.get(id);
    if (!job) this.jobs.set(id, (job = { ...emptyTally(), status: 'running' }));
    return job;
  }

  private tally(eu: string, job: string | undefined, change: (t: Tally) => void): void {
    let t = this.eus.get(eu);
    if (!t) this.eus.set(eu, (t = emptyTally()));
    change(t);
    if (job !== undefined) change(this.job(job));
  }
}
