/**
 * The live feed: the coordinator's event stream (`GET /v1/events/stream`), read with fetch
 * so the credential rides in the Authorization header (EventSource cannot send one), and
 * the coordinator filters it to what that credential may read.
 *
 * States: connecting → live → (the stream ends or fails) → retrying → connecting …, resuming
 * after the last event seen, so a coordinator restart loses nothing. Events reach listeners in
 * batches, at most every FLUSH_MS, so a burst of thousands renders once, not thousands of times.
 *
 * It also keeps the most recent events (RECENT_LIMIT), backfilled from the paged log when the
 * stream opens, for the views that show history (charts, recent faults, the events list).
 */
import { createParser } from 'eventsource-parser';
import { api, authHeaders, query } from './api.js';
import type { CortenEvent } from './types.js';

/** Events kept in memory for charts and lists: a few minutes of a busy network. */
export const RECENT_LIMIT = 5000;
/** Events before the stream's start loaded on open, so charts and lists are not empty. */
const BACKFILL = 2000;
/** Batching window: well under the 1 s a change may take to show. */
const FLUSH_MS = 100;
/** Wait before reconnecting; doubled up to RETRY_MAX_MS while the coordinator stays away. */
const RETRY_MS = 500;
const RETRY_MAX_MS = 5000;

export type LiveState = 'connecting' | 'live' | 'retrying';
type Listener = (events: CortenEvent[]) => void;

export class LiveFeed {
  state: LiveState = 'connecting';
  /** The last event seq seen: where a reconnect resumes. */
  cursor: number | null = null;
  readonly recent: CortenEvent[] = [];
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(state: LiveState) => void>();
  private pending: CortenEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private abort: AbortController | null = null;
  private stopped = false;
  private retry = RETRY_MS;

  start(): void {
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.setState('connecting');
      try {
        await this.follow();
        this.retry = RETRY_MS;
      } catch {
        // Network errors and aborts alike: retry unless stopped.
      }
      if (this.stopped) return;
      this.setState('retrying');
      await new Promise((resolve) => setTimeout(resolve, this.retry));
      this.retry = Math.min(this.retry * 2, RETRY_MAX_MS);
    }
  }

  private async follow(): Promise<void> {
    this.abort = new AbortController();
    const after = this.cursor === null ? '' : query({ after: this.cursor });
    const response = await fetch(`/v1/events/stream${after}`, { headers: authHeaders(), signal: this.abort.signal });
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    let started: Promise<void> = Promise.resolve();
    const parser = createParser({
      onEvent: (message) => {
        const event = JSON.parse(message.data) as CortenEvent;
        this.cursor = event.seq;
        this.push([event]);
      },
      onComment: (comment) => {
        // The stream names its start first; the first time, backfill the history before it.
        const match = /corten event stream after (\d+)/.exec(comment);
        if (!match) return;
        this.setState('live');
        const start = Number(match[1]);
        if (this.cursor === null) {
          this.cursor = start;
          started = this.backfill(start);
        }
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    await started;
  }

  private async backfill(start: number): Promise<void> {
    if (start === 0) return;
    const page = await api<{ events: CortenEvent[] }>(
      `/v1/events${query({ after: Math.max(0, start - BACKFILL), limit: BACKFILL })}`,
    );
    const older = page.events.filter((e) => e.seq <= start);
    this.recent.unshift(...older);
    this.trim();
    for (const l of this.listeners) l([]);
  }

  private push(events: CortenEvent[]): void {
    this.pending.push(...events);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const batch = this.pending;
      this.pending = [];
      this.recent.push(...batch);
      this.trim();
      for (const l of this.listeners) l(batch);
    }, FLUSH_MS);
  }

  private trim(): void {
    if (this.recent.length > RECENT_LIMIT) this.recent.splice(0, this.recent.length - RECENT_LIMIT);
  }
}

export const feed = new LiveFeed();
