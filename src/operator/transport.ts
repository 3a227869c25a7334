/**
 * How an agent reaches its coordinator: one connection at a time, opened by
 * a transport. Production uses the WebSocket transport below; the simulator
 * wraps it (sim/faulty-transport.ts) to cut, freeze or kill the link without
 * the agent knowing, as a real network or machine would.
 */
import WebSocket from 'ws';

/** What a connection tells its agent, each at most once for `close`. */
export interface ConnectionEvents {
  message(data: Buffer): void;
  /** The close code and reason, when the other side sent them (4010: go to the leader named in `reason`). */
  close(code?: number, reason?: string): void;
  error(error: Error): void;
}

export interface Connection {
  /** True while frames sent now can go out. */
  readonly open: boolean;
  send(text: string): void;
  /** Closes with a goodbye; resolves once closed (at once if it already was). */
  close(code: number, reason: string): Promise<void>;
  /** Drops at once, without a goodbye (`close` follows). */
  terminate(): void;
  /** The heartbeat interval the coordinator set: a link that checks the coordinator's liveness checks no faster. */
  pace?(heartbeatIntervalMs: number): void;
}

export interface Transport {
  connect(url: string, events: ConnectionEvents): Connection;
}

/**
 * Largest frame the agent accepts: an assign frame carries whole EU packages
 * (code and manifests), far above any result or control frame.
 */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/**
 * A coordinator that is paused or cut off keeps its TCP connection open but
 * answers nothing. The agent pings every PING_MS, or every heartbeat interval
 * when the coordinator set a longer one (a coordinator of 5,000 operators
 * answers 2,000 pings a second instead of 5,000), up to half of SILENT_MS,
 * unless a frame came since the last ping, and
 * drops a connection that has not answered (a pong or any frame) for
 * SILENT_MS, then reconnects (to the next coordinator when it knows several).
 * 5 s stays clear of a busy coordinator's slow turns and is still well inside
 * an EU's lease grace. Silence is judged as of the previous ping, not now:
 * everything that had arrived by then has been read (a poll phase runs
 * between two timer callbacks), so an agent whose own process stalled does
 * not blame the coordinator for the pongs it has not read yet.
 */
const PING_MS = 1000;
const SILENT_MS = 5000;

/** A WebSocket per connection, without compression (frames are small and many; deflate costs CPU on both ends). */
export const webSocketTransport: Transport = {
  connect(url, events) {
    const socket = new WebSocket(url, { maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false });
    let heard = performance.now();
    let lastPing = heard;
    const ping = () => {
      const now = performance.now();
      if (socket.readyState === WebSocket.OPEN) {
        if (lastPing - heard > SILENT_MS) socket.terminate();
        // A frame since the last ping already said the coordinator is there.
        else if (heard <= lastPing) socket.ping();
      }
      lastPing = now;
    };
    let pinger = setInterval(ping, PING_MS);
    pinger.unref();
    socket.on('open', () => (heard = performance.now()));
    socket.on('pong', () => (heard = performance.now()));
    socket.on('message', (data: Buffer) => {
      heard = performance.now();
      events.message(data);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      clearInterval(pinger);
      events.close(code, reason.toString('utf8'));
    });
    socket.on('error', (error) => events.error(error));
    return {
      get open() {
        return socket.readyState === WebSocket.OPEN;
      },
      send: (text) => socket.send(text),
      terminate: () => socket.terminate(),
      pace: (heartbeatIntervalMs) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        clearInterval(pinger);
        pinger = setInterval(ping, Math.min(SILENT_MS / 2, Math.max(PING_MS, heartbeatIntervalMs)));
        pinger.unref();
      },
      close: (code, reason) => {
        if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
        return new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.close(code, reason);
        });
      },
    };
  },
};
