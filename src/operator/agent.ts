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
 * It has two seams and no fault code: what it runs work with (`executor`)
 * and how it reaches the coordinator (`transport`). The simulator and the
 * tests wrap both (sim/faulty-agent.ts) to make it lie, hang, crash or lose
 * its network the way real machines do.
 */
import { EventEmitter } from 'node:events';
import { loadavg, cpus } from 'node:os';
import type { Logger } from 'pino';
import {
  authStatement,
  buildBatch,
  identityId,
  leafHash,
  MAX_OUTPUT_BYTES,
  MAX_VALUE_DEPTH,
  outputHashOf,
  PROTOCOL_VERSION,
  resultStatement,
  sign,
  signBatch,
  valueTooDeep,
  type CoordinatorMessage,
  type EuPackage,
  type KeyPair,
  type OperatorResources,
  type ResultItem,
  type ResultStatement,
  type StandingChange,
  type StandingMessage,
  type WireAssignment,
} from '../protocol/index.js';
import type { Executor } from './executor.js';
import { webSocketTransport, type Connection, type Transport } from './transport.js';

/** Why the coordinator would refuse this output (too deep, too large), as an execution error; null when it is fine. */
function outputProblem(output: unknown): { code: string; message: string } | null {
  if (valueTooDeep(output, MAX_VALUE_DEPTH))
    return { code: 'EU_OUTPUT_TOO_DEEP', message: `the output nests deeper than ${MAX_VALUE_DEPTH} levels` };
  const bytes = Buffer.byteLength(JSON.stringify(output), 'utf8');
  if (bytes > MAX_OUTPUT_BYTES)
    return {
      code: 'EU_OUTPUT_TOO_LARGE',
      message: `the output is ${bytes} bytes of JSON; the limit is ${MAX_OUTPUT_BYTES}`,
    };
  return null;
}

export interface AgentOptions {
  /** The coordinator's base URL, or several separated by commas (coordinators sharing one store). */
  coordinatorUrl: string;
  keys: KeyPair;
  region: string;
  resources: OperatorResources;
  maxConcurrent: number;
  executor: Executor;
  /** How it connects to the coordinator; default: a WebSocket. */
  transport?: Transport;
  log: Logger;
  /** Reconnect backoff bounds. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** One execution, as the agent reports it (`executed`) to its metrics. */
export interface Execution {
  eu: string;
  version: string;
  /** False when the EU failed (an error result). */
  ok: boolean;
  durationMs: number;
}

interface Running {
  assignment: WireAssignment;
  cancelled: boolean;
}

export class Agent extends EventEmitter {
  readonly id: string;
  private readonly opts: AgentOptions;
  private readonly transport: Transport;
  private socket: Connection | null = null;
  private readonly eus = new Map<string, EuPackage>();
  private readonly running = new Map<string, Running>();
  /** Results sent and not yet acknowledged, by assignment id. */
  private readonly unacked = new Map<string, ResultItem>();
  private outbox: ResultItem[] = [];
  /** What each result's signature covers, until it is signed. */
  private readonly statements = new WeakMap<ResultItem, ResultStatement>();
  private flushScheduled = false;
  /**
   * Assignments received since the last heartbeat, with when (performance.now()): the next heartbeat
   * says how long ago each arrived, and the coordinator counts its lease from then.
   */
  private receivedSince = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  /** The coordinators it knows, and which one it tries now. */
  private readonly urls: string[];
  private target = 0;
  private welcomed = false;
  private draining = false;
  private stopped = false;
  /** Executions finished since start. */
  completed = 0;
  /** Connections welcomed since start; every one after the first is a reconnect. */
  welcomes = 0;
  /** The standing the coordinator last told of (stake, earnings, status); null before the first notice. */
  standing: Omit<StandingMessage, 't' | 'changes'> | null = null;

  constructor(opts: AgentOptions) {
    super();
    this.opts = opts;
    this.transport = opts.transport ?? webSocketTransport;
    this.urls = coordinatorUrls(opts.coordinatorUrl);
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
    await socket?.close(1000, 'operator stopping');
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${this.urls[this.target]!.replace(/^http/, 'ws')}/v1/operators/connect`;
    // Events name their connection: one from a connection since replaced is ignored.
    const holder: { conn: Connection | null } = { conn: null };
    holder.conn = this.transport.connect(url, {
      message: (data) => this.onFrame(holder.conn!, data),
      close: (code, reason) => this.onClose(holder.conn!, code, reason),
      error: (error) => this.opts.log.debug({ err: error }, 'connection error'),
    });
    this.socket = holder.conn;
  }

  private onClose(socket: Connection, code?: number, reason?: string): void {
    if (this.socket !== socket) return;
    const sentOn = code === CLOSE_NOT_LEADER;
    this.socket = null;
    this.welcomed = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.emit('disconnected');
    if (this.stopped) return;
    const min = this.opts.minBackoffMs ?? 100;
    const max = this.opts.maxBackoffMs ?? 3000;
    // A follower names the leader: go there at once. Otherwise the next coordinator may be the one that is up.
    const leader = sentOn && reason ? this.urls.indexOf(reason.replace(/\/$/, '')) : -1;
    this.target = leader >= 0 ? leader : (this.target + 1) % this.urls.length;
    if (sentOn) {
      // A coordinator answered: the network is up and a leader is being named (a takeover). The refusals
      // met meanwhile (the dead leader's URL) must not leave the backoff long when the new leader is ready.
      this.attempts = 0;
      this.reconnectTimer = setTimeout(() => this.connect(), min);
      return;
    }
    const delay = Math.min(max, min * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private sendFrame(message: object): void {
    const socket = this.socket;
    if (socket?.open) socket.send(JSON.stringify(message));
  }

  private onFrame(socket: Connection, data: Buffer): void {
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

  private onMessage(socket: Connection, message: CoordinatorMessage): void {
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
        this.paceHeartbeats(socket, message.heartbeatIntervalMs);
        if (this.draining) this.sendFrame({ t: 'drain' });
        // Results the coordinator may not have recorded: send them again; it answers ack or refused.
        // (Results not signed yet are still in the outbox and go out with its next frame.)
        const resend = [...this.unacked.values()].filter((r) => r.signature !== '');
        if (resend.length > 0) this.sendFrame({ t: 'results', results: resend });
        this.welcomes += 1;
        if (this.welcomes > 1) this.emit('reconnected');
        this.emit('welcome', message.operatorId);
        return;
      }
      case 'pace':
        this.paceHeartbeats(socket, message.heartbeatIntervalMs);
        return;
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
          if (r) r.cancelled = true;
        }
        return;
      case 'error':
        this.opts.log.warn({ code: message.code }, `coordinator: ${message.message}`);
        this.emit('protocol-error', message);
        return;
      case 'standing':
        this.onStanding(message);
        return;
    }
  }

  /** Keeps the coordinator's word on its standing, and logs every slash and suspension. */
  private onStanding(message: StandingMessage): void {
    const { t: _t, changes, ...standing } = message;
    this.standing = standing;
    for (const change of Array.isArray(changes) ? changes : []) if (change) this.logStanding(change, standing.stake);
    this.emit('standing', message);
  }

  private logStanding(change: StandingChange, stake: number): void {
    const log = this.opts.log;
    switch (change.kind) {
      case 'slashed':
        log.warn(
          { standing: 'slashed', amount: change.amount, reason: change.reason, taskId: change.taskId, stake },
          `slashed ${change.amount} credits of stake: ${change.reason}`,
        );
        return;
      case 'suspended':
        log.error(
          { standing: 'suspended', reason: change.reason },
          `suspended: ${change.reason}; no work until the coordinator reinstates this operator`,
        );
        return;
      case 'reinstated':
        log.info({ standing: 'reinstated' }, 'reinstated: work resumes');
        return;
      case 'degraded':
        log.warn({ standing: 'degraded', reason: change.reason }, `reputation degraded: ${change.reason}`);
        return;
      case 'recovered':
        log.info({ standing: 'recovered' }, 'reputation recovered');
        return;
      case 'earnings_paid':
        log.info({ standing: 'earnings_paid', amount: change.amount }, `earnings paid out: ${change.amount} credits`);
        return;
    }
  }

  /**
   * Heartbeats every `intervalMs` from now on, as the coordinator says (welcome, pace); the link pings no faster.
   * The interval is held to HEARTBEAT_RANGE_MS, so a coordinator's bad figure (0, NaN, a day) cannot make the agent
   * flood its link or fall silent.
   */
  private paceHeartbeats(socket: Connection, requestedMs: number): void {
    const [least, most] = HEARTBEAT_RANGE_MS;
    const intervalMs = Number.isFinite(requestedMs) ? Math.min(most, Math.max(least, requestedMs)) : least * 5;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.sendHeartbeat(), intervalMs);
    this.heartbeat.unref();
    socket.pace?.(intervalMs);
  }

  private sendHeartbeat(): void {
    const machine = machineLoad();
    const now = performance.now();
    const started: [string, number][] = [];
    for (const [id, at] of this.receivedSince) if (this.running.has(id)) started.push([id, Math.round(now - at)]);
    this.receivedSince = new Map();
    this.sendFrame({
      t: 'hb',
      at: Date.now(),
      running: this.running.size,
      cpuLoad: machine.cpuLoad,
      memoryUsedMb: machine.memoryUsedMb,
      ...(started.length > 0 ? { started } : {}),
    });
  }

  private run(assignment: WireAssignment): void {
    const eu = this.eus.get(assignment.euId);
    const entry: Running = { assignment, cancelled: false };
    this.running.set(assignment.assignmentId, entry);
    this.receivedSince.set(assignment.assignmentId, performance.now());
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
    const job = {
      eu,
      input: assignment.input,
      seed: assignment.seed,
      clock: assignment.clock,
      taskId: assignment.taskId,
    };
    let outcome = await this.opts.executor.execute(job);
    this.completed += 1;
    this.emit('executed', {
      eu: eu.manifest.name,
      version: eu.manifest.version,
      ok: outcome.ok,
      durationMs: outcome.metrics.durationMs,
    } satisfies Execution);
    const output: unknown = outcome.ok ? outcome.output : undefined;
    // Any executor, not only the sandbox, may hand back what the coordinator would refuse: send a clear failure
    // instead.
    if (outcome.ok) {
      const problem = outputProblem(output ?? null);
      if (problem) outcome = { ok: false, error: problem, metrics: outcome.metrics };
    }
    const outputHash = outputHashOf(outcome.ok ? { output } : { error: outcome.error });
    // Signed when it is sent, together with the rest of its frame (see flush).
    const item: ResultItem = {
      assignmentId: assignment.assignmentId,
      attempt: assignment.attempt,
      outputHash,
      signature: '',
      proof: [],
      metrics: outcome.metrics,
    };
    this.statements.set(item, resultStatement(assignment, outputHash));
    if (outcome.ok) item.output = output ?? null;
    else item.error = { code: outcome.error.code, message: outcome.error.message.slice(0, 4000) };

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

/** WebSocket close code of a follower sending the operator on to the leader (whose URL is the reason). */
const CLOSE_NOT_LEADER = 4010;
/** The heartbeat intervals an agent accepts from a coordinator. */
const HEARTBEAT_RANGE_MS = [100, 30_000] as const;

/** `http://a:1,http://b:2/` → ['http://a:1', 'http://b:2'] */
export function coordinatorUrls(list: string): string[] {
  const urls = list
    .split(',')
    .map((u) => u.trim().replace(/\/$/, ''))
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new Error('no coordinator URL given');
  return urls;
}
