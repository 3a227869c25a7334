/**
 * Regions up and down. A region is down when an admin says so, or when it
 * loses a large share of its operators within a short window (a regional
 * outage, or a network cut between it and the coordinator). The scheduler
 * avoids down regions, so the rest of the network is not held up by leases
 * that would only expire. A region down by failures comes back by itself once
 * enough of its operators have returned; an admin's mark stays until lifted.
 *
 * One safeguard: failure-detected downs never take the whole network out. If
 * every region with online operators were down by failures, they are all
 * treated as up, because avoiding them would schedule nothing at all.
 */
import type { CoordinatorConfig } from '../config/index.js';
import type { Scheduler } from '../scheduling/index.js';
import type { OperatorState, Turn } from '../memory/index.js';

interface RegionStatus {
  down: boolean;
  source: 'admin' | 'failures';
  reason: string;
  /** Times operators were lost, within the detection window. */
  losses: number[];
  /** Operators online when the region went down by failures. */
  baseline: number;
}

/** What the region watch reads: settings, the operators, and the scheduler's set of regions to avoid. */
export interface RegionContext {
  readonly config: CoordinatorConfig;
  readonly operators: ReadonlyMap<string, OperatorState>;
  readonly scheduler: Pick<Scheduler, 'downRegions'>;
}

export class RegionWatch {
  private readonly regions = new Map<string, RegionStatus>();

  constructor(private readonly ctx: RegionContext) {}

  /** Restores persisted marks at start. */
  restore(rows: { name: string; down: boolean; source: 'admin' | 'failures'; reason: string }[]): void {
    for (const row of rows) {
      if (!row.down) continue;
      this.regions.set(row.name, { down: true, source: row.source, reason: row.reason, losses: [], baseline: 0 });
    }
    this.apply();
  }

  isDown(region: string): boolean {
    return this.regions.get(region)?.down ?? false;
  }

  list(): { region: string; down: boolean; source: string; reason: string }[] {
    return [...this.regions.entries()].map(([region, s]) => ({
      region,
      down: s.down,
      source: s.source,
      reason: s.reason,
    }));
  }

  setByAdmin(turn: Turn, region: string, down: boolean, reason: string): void {
    const s = this.status(region);
    if (s.down === down && s.source === 'admin') return;
    s.down = down;
    s.source = 'admin';
    s.reason = reason;
    s.losses = [];
    this.persist(turn, region, s);
  }

  operatorLost(turn: Turn, op: OperatorState): void {
    const s = this.status(op.region);
    const window = this.ctx.config.regionFailureWindowMs;
    s.losses = s.losses.filter((t) => turn.now - t <= window);
    s.losses.push(turn.now);
    if (s.down) return;
    const online = this.onlineIn(op.region);
    const lost = s.losses.length;
    if (lost >= 2 && lost / (lost + online) >= this.ctx.config.regionFailureShare) {
      s.down = true;
      s.source = 'failures';
      s.reason = `${lost} of ${lost + online} operators lost within ${window} ms`;
      s.baseline = lost + online;
      this.persist(turn, op.region, s);
    }
    this.apply();
  }

  operatorOnline(turn: Turn, op: OperatorState): void {
    const s = this.regions.get(op.region);
    if (!s || !s.down || s.source !== 'failures') {
      if (s?.down) this.apply();
      return;
    }
    const online = this.onlineIn(op.region);
    if (online >= Math.ceil(s.baseline * (1 - this.ctx.config.regionFailureShare))) {
      s.down = false;
      s.reason = `${online} of ${s.baseline} operators back`;
      s.losses = [];
      this.persist(turn, op.region, s);
    }
    this.apply();
  }

  private status(region: string): RegionStatus {
    let s = this.regions.get(region);
    if (!s) {
      s = { down: false, source: 'failures', reason: '', losses: [], baseline: 0 };
      this.regions.set(region, s);
    }
    return s;
  }

  private onlineIn(region: string): number {
    let n = 0;
    for (const op of this.ctx.operators.values()) if (op.region === region && op.conn) n++;
    return n;
  }

  private persist(turn: Turn, region: string, s: RegionStatus): void {
    turn.changes.push({
      op: 'region.upsert',
      row: { name: region, down: s.down, source: s.source, reason: s.reason, changedAt: turn.now },
    });
    turn.event(s.down ? 'region.down' : 'region.up', { region, reason: `${s.source}: ${s.reason}` });
    this.apply();
  }

  /** Recomputes the set of regions the scheduler avoids. */
  private apply(): void {
    const down = this.ctx.scheduler.downRegions;
    down.clear();
    const failureDown: string[] = [];
    for (const [region, s] of this.regions) {
      if (!s.down) continue;
      if (s.source === 'admin') down.add(region);
      else failureDown.push(region);
    }
    const onlineElsewhere = [...this.ctx.operators.values()].some(
      (op) => op.conn && !down.has(op.region) && !failureDown.includes(op.region),
    );
    if (onlineElsewhere) for (const region of failureDown) down.add(region);
  }
}
