/**
 * The views of the network only the leader can compute: its operators (who
 * is connected, their slots and active leases, stake and reputation as its
 * trust figures them), region marks and the scheduler's stats. The leader
 * writes them to the store once a second (store/postgres/leader-views.ts),
 * on a timer of its own, outside the engine's turns; a follower reads them
 * back on the same beat and answers `/v1/operators`, `/v1/regions` and
 * `/v1/stats` as the leader would, at most about two seconds late.
 */
import type { Logger } from 'pino';
import { coerceError, type OperatorView, type RegionView, type Stats } from '../../protocol/index.js';
import type { LeaderViews } from '../../store/index.js';

export interface NetworkView {
  operators: OperatorView[];
  regions: RegionView[];
  stats: Stats;
}

const VIEW = 'network';
/**
 * One write a second: fresh enough for a person or a dashboard (which
 * refreshes on that order), cheap for the leader (one statement, outside the
 * turns) even with thousands of operators in the body.
 */
const BEAT_MS = 1000;

/** Runs `step` now and then every BEAT_MS after the previous run ended, until stopped. */
class Beat {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly step: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Resolves after the first run. */
  start(): Promise<void> {
    return this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private run(): Promise<void> {
    this.timer = null;
    this.running = this.step()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => void this.run(), BEAT_MS);
      });
    return this.running;
  }
}

/** The leader's side: writes the view, fenced on its epoch (a deposed leader's write lands nowhere). */
export class NetworkViewPublisher {
  private readonly beat: Beat;

  constructor(views: LeaderViews, fence: { shard: string; epoch: number }, snapshot: () => NetworkView, log: Logger) {
    this.beat = new Beat(
      async () => void (await views.write(VIEW, fence, JSON.stringify(snapshot()), Date.now())),
      (error) => log.warn({ err: coerceError(error) }, 'writing the network view for followers failed'),
    );
  }

  start(): Promise<void> {
    return this.beat.start();
  }

  stop(): Promise<void> {
    return this.beat.stop();
  }
}

/** A follower's side: the leader's latest view, or null before any leader wrote one. */
export class NetworkViewReader {
  latest: NetworkView | null = null;
  private readonly beat: Beat;

  constructor(views: LeaderViews, log: Logger) {
    this.beat = new Beat(
      async () => {
        const view = await views.read(VIEW);
        if (view) this.latest = JSON.parse(view.body) as NetworkView;
      },
      (error) => log.warn({ err: coerceError(error) }, 'reading the leader’s network view failed'),
    );
  }

  start(): Promise<void> {
    return this.beat.start();
  }

  stop(): Promise<void> {
    return this.beat.stop();
  }
}
