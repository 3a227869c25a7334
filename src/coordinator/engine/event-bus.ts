/**
 * In-process fan-out of committed events. The engine publishes each turn's
 * events after the commit; the SSE stream, metrics and tests subscribe. A
 * listener that throws is logged and skipped, never allowed to take the
 * coordinator down.
 */
import type { CortenEvent } from '../../protocol/index.js';

export type EventListener = (events: readonly CortenEvent[]) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private lastSeq = 0;

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Seq of the last event published. */
  get seq(): number {
    return this.lastSeq;
  }

  set seq(value: number) {
    this.lastSeq = value;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: readonly CortenEvent[]): void {
    if (events.length === 0) return;
    this.lastSeq = events[events.length - 1]!.seq;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
