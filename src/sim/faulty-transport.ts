/**
 * A transport around the agent's real one that fails the way networks and
 * machines do, without the agent knowing:
 *
 *   partition('silent')  traffic is dropped both ways and the connection stays
 *                        open: the coordinator sees only silence
 *   partition('reset')   the connection drops
 *                        (under either, a new connection waits, unopened, for heal())
 *   heal()               the network is back: waiting connections open now
 *   hang() / unhang()    the process is frozen (SIGSTOP-like): the connection
 *                        stays open, nothing is read or sent until it thaws,
 *                        then what piled up happens in order; no heartbeat is
 *                        made while frozen
 *   crash()              the process is dead: the connection drops without a
 *                        goodbye and no connection ever opens again
 *   ignoreCancels        cancels from the coordinator are lost (the `lateMs`
 *                        fixture: results for expired leases still come in)
 */
import { webSocketTransport, type Connection, type ConnectionEvents, type Transport } from '../operator/index.js';

/** One connection as the agent sees it: the real one once the network lets it open. */
interface Link {
  events: ConnectionEvents;
  url: string;
  inner: Connection | null;
  /** The agent closed it, or it was closed for it: it never opens. */
  closed: boolean;
}

export type PartitionMode = 'silent' | 'reset';

export class FaultyTransport implements Transport {
  ignoreCancels = false;
  private partitioned: PartitionMode | null = null;
  private hung = false;
  private dead = false;
  /** What a frozen process would have done, in order. */
  private frozen: (() => void)[] = [];
  private readonly links = new Set<Link>();

  /** `inner` opens the real connections (the agent's default: a WebSocket). */
  constructor(private readonly inner: Transport = webSocketTransport) {}

  connect(url: string, events: ConnectionEvents): Connection {
    const link: Link = { events, url, inner: null, closed: this.dead };
    this.links.add(link);
    if (!this.dead && !this.partitioned) this.open(link);
    return {
      get open() {
        return link.inner?.open ?? false;
      },
      send: (text) => this.send(link, text),
      close: async (code, reason) => {
        link.closed = true;
        this.links.delete(link);
        await link.inner?.close(code, reason);
      },
      terminate: () => link.inner?.terminate(),
      pace: (heartbeatIntervalMs) => link.inner?.pace?.(heartbeatIntervalMs),
    };
  }

  partition(mode: PartitionMode = 'silent'): void {
    if (this.dead) return;
    this.partitioned = mode;
    if (mode === 'reset') for (const link of this.links) link.inner?.terminate();
  }

  heal(): void {
    if (!this.partitioned) return;
    this.partitioned = null;
    for (const link of this.links) if (!link.inner && !link.closed) this.open(link);
  }

  hang(): void {
    this.hung = true;
  }

  unhang(): void {
    if (!this.hung) return;
    this.hung = false;
    const frozen = this.frozen;
    this.frozen = [];
    for (const fn of frozen) fn();
  }

  crash(): void {
    this.dead = true;
    this.hung = false;
    this.frozen = [];
    for (const link of this.links) {
      link.closed = true;
      link.inner?.terminate();
    }
  }

  private open(link: Link): void {
    link.inner = this.inner.connect(link.url, {
      message: (data) => this.onMessage(link, data),
      close: () => this.later(() => this.onClose(link)),
      error: (error) => link.events.error(error),
    });
  }

  private onMessage(link: Link, data: Buffer): void {
    if (this.dead || this.partitioned === 'silent') return;
    this.later(() => {
      const frame = this.ignoreCancels ? withoutCancels(data) : data;
      if (frame) link.events.message(frame);
    });
  }

  private onClose(link: Link): void {
    this.links.delete(link);
    // A dead process hears nothing; its agent only learns the connection is gone, so it stops heartbeating.
    link.events.close();
  }

  private send(link: Link, text: string): void {
    if (this.dead || this.partitioned || !link.inner) return;
    // A frozen process makes no heartbeat; what it had started to send goes out when it thaws.
    if (this.hung && isHeartbeat(text)) return;
    this.later(() => {
      if (!this.dead && !this.partitioned && link.inner?.open) link.inner.send(text);
    });
  }

  /** Runs `fn` now, or on thaw when frozen. */
  private later(fn: () => void): void {
    if (this.hung) this.frozen.push(fn);
    else fn();
  }
}

/** Heartbeats are the only frames that start so (JSON.stringify writes `t` first: the agent builds them so). */
function isHeartbeat(text: string): boolean {
  return text.startsWith('{"t":"hb"');
}

/** The frame with its cancel messages taken out; null when nothing is left. */
function withoutCancels(data: Buffer): Buffer | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return data;
  }
  const isCancel = (m: unknown) => (m as { t?: unknown } | null)?.t === 'cancel';
  if (!Array.isArray(parsed)) return isCancel(parsed) ? null : data;
  const kept = parsed.filter((m) => !isCancel(m));
  if (kept.length === parsed.length) return data;
  return kept.length === 0 ? null : Buffer.from(JSON.stringify(kept));
}
