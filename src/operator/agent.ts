/**
 * The operator agent: one identity, one connection to a coordinator.
 *
 *   connecting ──challenge──▶ hello sent ──welcome──▶ working ──drain──▶ draining ──▶ done
 *        ▲                                              │
 *        └──────────── socket lost: back off, retry ◀───┘
 *
 * It runs whatever the coordinator pushes (the coordinator never sends more
 * than `maxConcurrent`), signs each result, and keeps it until the
 * coordinator acknowledges it: after a reconnect (its own network blip, or a
 * coordinator restart) it names the leases it still holds and sends the
 * unacknowledged results again, so finished work is not lost.
 *
 * For the simulator and tests, the agent can be made to fail at run time, the
 * way real machines do (a real operator never calls these):
 *   crash()            the process dies: the socket drops at once, work is gone
 *   hang() / unhang()  the process freezes (SIGSTOP-like): the socket stays
 *                      open, nothing is read, sent or finished until it thaws
 *   partition(mode)    the network between it and the coordinator fails:
 *                      `silent` drops traffic both ways with the socket open
 *                      (the coordinator sees only silence), `reset` drops the
 *                      connection; no reconnect until heal(); work goes on
 *   setSlowFactor(f)   every execution takes f times as long
 *   setFaults(patch)   switch lying or colluding on or off
 */
import { EventEmitter } from 'node:events';
import { loadavg, cpus } from 'node:os';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import {
  authStatement, buildBatch, hashJson, identityId, leafHash, MAX_OUTPUT_BYTES, MAX_VALUE_DEPTH, PROTOCOL_VERSION, sign, signBatch,
  valueTooDeep, type CoordinatorMessage, type EuPackage, type KeyPair, type OperatorResources, type ResultItem, type ResultStatement, type WireAssignment,
} from '../protocol/index.js';
import type { Executor } from './executor.js';
import { NO_FAULTS, shouldLie, wrongOutput, type Faults } from './faults.js';

/** Why the coordinator would refuse this output (too deep, too large), as an execution error; null when it is fine. */
function outputProblem(output: unknown): { code: string; message: string } | null {
  if (valueTooDeep(output, MAX_VALUE_DEPTH)) return { code: 'EU_OUTPUT_TOO_DEEP', message: `the output nests deeper than ${MAX_VALUE_DEPTH} levels` };
  const bytes = Buffer.byteLength(JSON.stringify(output), 'utf8');
  if (bytes > MAX_OUTPUT_BYTES) return { code: 'EU_OUTPUT_TOO_LARGE', message: `the output is ${bytes} bytes of JSON; the limit is ${MAX_OUTPUT_BYTES}` };
  return null;
}

export interface AgentOptions {
  coordinatorUrl: string;
  keys: KeyPair;
  region: string;
  resources: OperatorResources;
  maxConcurrent: number;
  executor: Executor;
  log: Logger;
  faults?: Faults;
  /** Reconnect backoff bounds. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Running {
  assignment: WireAssignment;
  cancelled: boolean;
}

export class Agent extends EventEmitter {
  readonly id: string;
  private readonly opts: AgentOptions;
  private faults: Faults;
  private socket: WebSocket | null = null;
  private readonly eus = new Map<string, EuPackage>();
  private readonly running = new Map<string, Running>();
  /** Results sent and not yet acknowledged, by assignment id. */
  private readonly unacked = new Map<string, ResultItem>();
  private outbox: ResultItem[] = [];
  /** What each result's signature covers, until it is signed. */
  private readonly statements = new WeakMap<ResultItem, ResultStatement>();
  private flushScheduled = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private welcomed = false;
  private draining = false;
  private stopped = false;
  // ---- run-time faults (see the header) ----
  private hung = false;
  /** What a hung agent would have done, run in order when it thaws. */
  private frozen: (() => void)[] = [];
  private partitioned: 'silent' | 'reset' | null = null;
  private slowFactor = 1;
  /** Executions finished since start. */
  completed = 0;

  constructor(opts: AgentOptions) {
    super();
    this.opts = opts;
    this.faults = opts.faults ?? NO_FAULTS;
    this.id = identityId('op', opts.keys.publicKey.toString('hex'));
  }

  get connected(): boolean {
    return this.welcomed;
  }

  get inFlight(): number {
    return this.running.size + this.unacked.size;
  }

  /** Connects (and keeps reconnecting); resolves on the first welcome. */
  start(): Promise<void> {
    const welcomed = new Promise<void>((resolve) => this.once('welcome', () => resolve()));
    this.connect();
    return welcomed;
  }

  /**
   * Drains: asks for no new work, finishes what it holds, waits until every
   * result is acknowledged, then disconnects.
   */
  async drain(): Promise<void> {
    this.draining = true;
    this.sendFrame({ t: 'drain' });
    while (this.inFlight > 0 && !this.stopped) {
      await new Promise<void>((resolve) => this.once('settled', resolve));
    }
    await this.stop();
  }

  /** Disconnects at once, abandoning held work (the coordinator will reassign it). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000, 'operator stopping');
      });
    }
  }

  // ---- run-time faults (simulator and tests) --------------------------------

  /** Dies like a killed process: the connection drops without a goodbye and all held work is gone. */
  crash(): void {
    this.stopped = true;
    this.hung = false;
    this.frozen = [];
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const r of this.running.values()) r.cancelled = true;
    this.unacked.clear();
    this.outbox = [];
    this.welcomed = false;
    const socket = this.socket;
    this.socket = null;
    socket?.terminate();
  }

  /** Freezes: reads, sends, heartbeats and finished work all wait; the socket stays open. */
  hang(): void {
    this.hung = true;
  }

  /** Thaws a hung agent: what piled up happens now, in order (late results are refused by their fencing token). */
  unhang(): void {
    if (!this.hung) return;
    this.hung = false;
    const frozen = this.frozen;
    this.frozen = [];
    for (const fn of frozen) fn();
  }

  /** Cuts the network to the coordinator (see the header); reconnecting waits for heal(). */
  partition(mode: 'silent' | 'reset' = 'silent'): void {
    if (this.stopped) return;
    this.partitioned = mode;
    if (mode === 'reset') this.socket?.terminate();
  }

  /** Restores the network: reconnects at once if the connection was lost meanwhile. */
  heal(): void {
    if (!this.partitioned) return;
    this.partitioned = null;
    if (!this.socket && !this.stopped) {
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.attempts = 0;
      this.connect();
    }
  }

  /** Every execution takes `factor` times as long (1 = normal speed). */
  setSlowFactor(factor: number): void {
    this.slowFactor = Math.max(1, factor);
  }

  /** Changes the fault fixtures at run time (start or stop lying, colluding …). */
  setFaults(patch: Partial<Faults>): void {
    this.faults = { ...this.faults, ...patch };
  }

  private connect(): void {
    if (this.stopped || this.partitioned) return;
    const url = `${this.opts.coordinatorUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/operators/connect`;
    const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024, perMessageDeflate: false });
    this.socket = socket;
    socket.on('message', (data: Buffer) => this.onFrame(socket, data));
    socket.on('close', () => this.onClose(socket));
    socket.on('error', (error) => this.opts.log.debug({ err: error }, 'connection error'));
  }

  private onClose(socket: WebSocket): void {
    if (this.socket !== socket) return;
    if (this.hung) {
      this.frozen.push(() => this.onClose(socket));
      return;
    }
    this.socket = null;
    this.welcomed = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.emit('disconnected');
    if (this.stopped || this.partitioned) return;
    const min = this.opts.minBackoffMs ?? 100;
    const max = this.opts.maxBackoffMs ?? 3000;
    const delay = Math.min(max, min * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private sendFrame(message: object): void {
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN && !this.partitioned) socket.send(JSON.stringify(message));
  }

  private onFrame(socket: WebSocket, data: Buffer): void {
    if (this.partitioned === 'silent') return;
    if (this.hung) {
      this.frozen.push(() => this.onFrame(socket, data));
      return;
    }
    if (this.socket !== socket) return;
    let parsed: CoordinatorMessage | CoordinatorMessage[];
    try {
      parsed = JSON.parse(data.toString('utf8')) as CoordinatorMessage | CoordinatorMessage[];
    } catch {
      this.opts.log.warn('coordinator sent a frame that is not JSON');
      return;
    }
    // A frame holds one message, or several in order (see CoordinatorFrame).
    if (Array.isArray(parsed)) for (const message of parsed) this.onMessage(socket, message);
    else this.onMessage(socket, parsed);
  }

  private onMessage(socket: WebSocket, message: CoordinatorMessage): void {
    switch (message.t) {
      case 'challenge': {
        const held = [...this.running.keys(), ...this.unacked.keys()];
        this.sendFrame({
          t: 'hello',
          protocol: PROTOCOL_VERSION,
          publicKey: this.opts.keys.publicKey.toString('hex'),
          signature: sign(this.opts.keys, 'auth', authStatement(message.nonce, message.coordinatorId)),
          region: this.opts.region,
          resources: this.opts.resources,
          maxConcurrent: this.opts.maxConcurrent,
          agent: 'corten',
          held,
        });
        return;
      }
      case 'welcome': {
        this.welcomed = true;
        this.attempts = 0;
        const resumed = new Set(message.resumed);
        for (const [id, r] of this.running) if (!resumed.has(id)) r.cancelled = true;
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => this.sendHeartbeat(), message.heartbeatIntervalMs);
        this.heartbeat.unref();
        if (this.draining) this.sendFrame({ t: 'drain' });
        // Results the coordinator may not have recorded: send them again; it answers ack or refused.
        // (Results not signed yet are still in the outbox and go out with its next frame.)
        const resend = [...this.unacked.values()].filter((r) => r.signature !== '');
        if (resend.length > 0) this.sendFrame({ t: 'results', results: resend });
        this.emit('welcome', message.operatorId);
        return;
      }
      case 'assign':
        for (const eu of message.eus) this.eus.set(eu.id, eu);
        for (const assignment of message.assignments) this.run(assignment);
        return;
      case 'ack':
        for (const id of message.accepted) this.unacked.delete(id);
        for (const refusal of message.refused) {
          this.unacked.delete(refusal.assignmentId);
          this.opts.log.warn({ assignmentId: refusal.assignmentId, code: refusal.code }, refusal.message);
          this.emit('refused', refusal);
        }
        this.settle();
        return;
      case 'cancel':
        for (const id of message.assignmentIds) {
          const r = this.running.get(id);
          if (r && this.faults.lateMs === 0) r.cancelled = true;
        }
        return;
      case 'error':
        this.opts.log.warn({ code: message.code }, `coordinator: ${message.message}`);
        this.emit('protocol-error', message);
        return;
    }
  }

  private sendHeartbeat(): void {
    if (this.hung) return;
    const machine = machineLoad();
    this.sendFrame({ t: 'hb', at: Date.now(), running: this.running.size, cpuLoad: machine.cpuLoad, memoryUsedMb: machine.memoryUsedMb });
  }

  private run(assignment: WireAssignment): void {
    const eu = this.eus.get(assignment.euId);
    const entry: Running = { assignment, cancelled: false };
    this.running.set(assignment.assignmentId, entry);
    if (!eu) {
      this.opts.log.error({ euId: assignment.euId }, 'assignment for an EU never sent; releasing it');
      this.running.delete(assignment.assignmentId);
      this.sendFrame({ t: 'release', assignmentIds: [assignment.assignmentId], reason: 'eu_unknown' });
      return;
    }
    void this.execute(eu, entry);
  }

  private async execute(eu: EuPackage, entry: Running): Promise<void> {
    const { assignment } = entry;
    let outcome = await this.opts.executor.execute({ eu, input: assignment.input, seed: assignment.seed, clock: assignment.clock });
    if (this.faults.slowMs > 0) await delay(this.faults.slowMs);
    if (this.slowFactor > 1) await delay((this.slowFactor - 1) * outcome.metrics.durationMs);
    this.completed += 1;
    let output: unknown = outcome.ok ? outcome.output : undefined;
    if (outcome.ok && shouldLie(this.faults, assignment.seed, this.id)) output = wrongOutput(this.faults, this.id, assignment.taskId, output);
    // Any executor, not only the sandbox, may hand back what the coordinator would refuse: send a clear failure instead.
    if (outcome.ok) {
      const problem = outputProblem(output ?? null);
      if (problem) outcome = { ok: false, error: problem, metrics: outcome.metrics };
    }
    const outputHash = outcome.ok ? hashJson(output ?? null) : hashJson({ error: outcome.error.code });
    // Signed when it is sent, together with the rest of its frame (see flush).
    const item: ResultItem = { assignmentId: assignment.assignmentId, attempt: assignment.attempt, outputHash, signature: '', proof: [], metrics: outcome.metrics };
    this.statements.set(item, {
      assignmentId: assignment.assignmentId, taskId: assignment.taskId, euId: assignment.euId, attempt: assignment.attempt,
      inputHash: assignment.inputHash, outputHash,
    });
    if (outcome.ok) item.output = output ?? null;
    else item.error = { code: outcome.error.code, message: outcome.error.message.slice(0, 4000) };

    if (this.faults.lateMs > 0) await delay(this.faults.lateMs);
    if (this.hung) await new Promise<void>((resolve) => this.frozen.push(resolve));
    this.running.delete(assignment.assignmentId);
    if (entry.cancelled) {
      this.settle();
      return;
    }
    this.unacked.set(item.assignmentId, item);
    this.outbox.push(item);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends the results finished in this event-loop turn as one frame. */
  private flush(): void {
    if (this.hung) {
      this.frozen.push(() => this.flush());
      return;
    }
    this.flushScheduled = false;
    const results = this.outbox;
    this.outbox = [];
    if (results.length === 0) return;
    this.signBatch(results);
    this.sendFrame({ t: 'results', results });
  }

  /**
   * Signs a frame's results with one signature over the Merkle root of their
   * statements; each result carries its path to the root (see
   * protocol/result-batch.ts). One Ed25519 signature per frame instead of one
   * per result, for the operator and for the coordinator that checks it.
   */
  private signBatch(results: ResultItem[]): void {
    const { root, proofs } = buildBatch(results.map((r) => leafHash(this.statements.get(r)!)));
    const signature = signBatch(this.opts.keys, root);
    results.forEach((r, i) => {
      r.signature = signature;
      r.proof = proofs[i]!;
    });
  }

  private settle(): void {
    if (this.inFlight === 0) this.emit('settled');
  }
}

let lastLoad = { at: 0, cpuLoad: 0, memoryUsedMb: 0 };

/**
 * Machine load for heartbeats, read at most once a second: one process may
 * host hundreds of agents, and os.cpus() reads /proc each time.
 */
function machineLoad(): { cpuLoad: number; memoryUsedMb: number } {
  const now = Date.now();
  if (now - lastLoad.at >= 1000) {
    lastLoad = { at: now, cpuLoad: loadavg()[0]! / cpus().length, memoryUsedMb: process.memoryUsage().rss / 1048576 };
  }
  return lastLoad;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
