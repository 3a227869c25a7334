/**
 * A whole corten network on this machine: a coordinator process and operator
 * processes, started from the built CLI, talking over loopback. The demo, the
 * integration tests, the benchmarks and the simulator use it to run the real
 * thing, with real processes that can be killed, stopped and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CortenClient } from '../client/index.js';

/** The package root (where package.json is), found from this file in src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/** The built CLI entry point (run `npm run build` first). */
export function cliPath(): string {
  const path = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build`);
  return path;
}

export interface ManagedProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Keep a pipe to the process's stdin (a control channel); otherwise stdin is closed. */
  stdin?: boolean;
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: string[] = [];
  private readonly waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  private readonly listeners: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    args: string[],
    logFile: WriteStream,
    options: ManagedProcessOptions = {},
  ) {
    // CORTEN_PROFILE_DIR=/some/dir writes a CPU profile of every process started here, or only of those whose
    // name starts with CORTEN_PROFILE_ONLY (`coordinator`: not the agent hosts, which a profiler slows down).
    const only = process.env.CORTEN_PROFILE_ONLY;
    const profile =
      process.env.CORTEN_PROFILE_DIR && (!only || name.startsWith(only))
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CORTEN_PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`]
        : [];
    this.child = spawn(process.execPath, [...profile, cliPath(), ...args], {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    // A write after the child died must not take the parent down.
    this.child.stdin?.on('error', () => {});
    this.child.stderr!.on('data', (chunk: Buffer) => logFile.write(chunk));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      logFile.write(`[${this.name}] ${line}\n`);
      for (const listener of this.listeners) listener(line);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const match = line.match(this.waiters[i]!.pattern);
        if (match) {
          this.waiters[i]!.resolve(match);
          this.waiters.splice(i, 1);
        }
      }
    });
    this.exited = new Promise((resolveExit) =>
      this.child.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first stdout line (past or future) matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolveLine, reject) => {
      this.waiters.push({ pattern, resolve: resolveLine });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) before printing ${pattern}`)),
      );
    });
  }

  /** Calls `listener` with every stdout line from now on. */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /** Writes one line to the process's stdin (started with `stdin: true`). */
  writeLine(line: string): void {
    if (!this.child.stdin) throw new Error(`${this.name} was started without a stdin pipe`);
    if (this.running) this.child.stdin.write(`${line}\n`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.exited;
  }
}

export interface OperatorSpec {
  region: string;
  /** Name of its key file; defaults to a fresh one per operator. */
  name?: string;
  maxConcurrent?: number;
  workers?: number;
  /** Fault fixture spec, e.g. `lie` or `lateMs=3000`. */
  fault?: string;
  capabilities?: string[];
  args?: string[];
  /** Credits to stake for it once online (default: the network's operatorStake; 0: leave it unstaked). */
  stake?: number;
}

export interface OperatorProcess extends ManagedProcess {
  operatorId: string;
  region: string;
  spec: OperatorSpec;
}

export interface LocalNetworkOptions {
  /** Folder for the coordinator's data, key files and logs. */
  dir: string;
  coordinatorArgs?: string[];
  operatorArgs?: string[];
  /** Stake the coordinator requires of operators (`--min-stake`). Default 0: an open pool. */
  minStake?: number;
  /** Stake bonded, through the admin API, for every operator this network starts. Default: twice minStake. */
  operatorStake?: number;
  /** Let requests without a key submit to free EUs (`--allow-anonymous`). Default false, as on a coordinator. */
  allowAnonymous?: boolean;
}

export class LocalNetwork {
  readonly dir: string;
  coordinator: ManagedProcess | null = null;
  url = '';
  private port = 0;
  readonly operators: OperatorProcess[] = [];
  readonly hosts: ManagedProcess[] = [];
  private readonly log: WriteStream;
  private nextOperator = 1;
  /** The coordinator's admin token (accounts, deposits, stake), made up for this network. */
  readonly adminToken = randomBytes(16).toString('hex');

  constructor(private readonly opts: LocalNetworkOptions) {
    this.dir = resolve(opts.dir);
    mkdirSync(join(this.dir, 'keys'), { recursive: true });
    this.log = createWriteStream(join(this.dir, 'network.log'), { flags: 'a' });
  }

  get logPath(): string {
    return join(this.dir, 'network.log');
  }

  /** Starts (or restarts, on the same port and data) the coordinator. */
  async startCoordinator(): Promise<string> {
    const args = [
      'coordinator',
      '--port',
      String(this.port),
      '--data',
      join(this.dir, 'coordinator'),
      '--log-level',
      'warn',
      '--admin-token',
      this.adminToken,
      ...(this.opts.minStake ? ['--min-stake', String(this.opts.minStake)] : []),
      ...(this.opts.allowAnonymous ? ['--allow-anonymous'] : []),
      ...(this.opts.coordinatorArgs ?? []),
    ];
    this.coordinator = new ManagedProcess('coordinator', args, this.log);
    const [, url] = await this.coordinator.waitForLine(/listening on (http:\/\/\S+)/);
    this.url = url!;
    this.port = Number(new URL(this.url).port);
    return this.url;
  }

  async startOperator(spec: OperatorSpec): Promise<OperatorProcess> {
    const name = spec.name ?? `op-${this.nextOperator++}`;
    // A faulty operator is the real agent in the simulator's fault wrappers (cli/faulty-operator-command.ts).
    const args = [
      spec.fault ? 'faulty-operator' : 'operator',
      '--coordinator',
      this.url,
      '--region',
      spec.region,
      '--key',
      join(this.dir, 'keys', `${name}.json`),
      '--log-level',
      'warn',
      ...(spec.maxConcurrent ? ['--max-concurrent', String(spec.maxConcurrent)] : []),
      ...(spec.workers ? ['--workers', String(spec.workers)] : []),
      ...(spec.fault ? ['--fault', spec.fault] : []),
      ...(spec.capabilities ? ['--capabilities', spec.capabilities.join(',')] : []),
      ...(this.opts.operatorArgs ?? []),
      ...(spec.args ?? []),
    ];
    const proc = new ManagedProcess(name, args, this.log) as OperatorProcess;
    const [, operatorId] = await proc.waitForLine(/corten operator (\S+) online/);
    proc.operatorId = operatorId!;
    proc.region = spec.region;
    proc.spec = spec;
    this.operators.push(proc);
    const stake = spec.stake ?? this.operatorStake;
    if (stake > 0) await this.admin().stake(proc.operatorId, stake);
    return proc;
  }

  /**
   * Starts a process hosting `count` agents (see `corten agents`); resolves
   * once all are online. With `control`, the host takes fault commands on
   * its stdin (see agent-control.ts).
   */
  async startAgentHost(name: string, args: string[], options: { control?: boolean } = {}): Promise<ManagedProcess> {
    const control = options.control ? ['--control'] : [];
    const proc = new ManagedProcess(name, ['agents', '--coordinator', this.url, ...control, ...args], this.log, {
      stdin: options.control ?? false,
    });
    await proc.waitForLine(/corten agents online/);
    this.hosts.push(proc);
    await this.stakeUnstaked();
    return proc;
  }

  /** Stake bonded for each operator started here. */
  get operatorStake(): number {
    return this.opts.operatorStake ?? 2 * (this.opts.minStake ?? 0);
  }

  /** A client holding the admin token. */
  admin(): CortenClient {
    return new CortenClient(this.url, { adminToken: this.adminToken });
  }

  /** Stakes `operatorStake` for every connected operator short of the minimum (agents in a host come up unstaked). */
  async stakeUnstaked(): Promise<void> {
    if (this.operatorStake <= 0) return;
    const admin = this.admin();
    for (const op of await admin.listOperators()) {
      if (op.connected && op.stake < (this.opts.minStake ?? 0)) await admin.stake(op.id, this.operatorStake);
    }
  }

  /** Starts many operators, a few at a time (each loads the sandbox; 2 cores). */
  async startOperators(specs: OperatorSpec[], parallel = 4): Promise<OperatorProcess[]> {
    const out: OperatorProcess[] = new Array(specs.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, specs.length) }, async () => {
        while (next < specs.length) {
          const i = next++;
          out[i] = await this.startOperator(specs[i]!);
        }
      }),
    );
    return out;
  }

  async stop(): Promise<void> {
    // SIGTERM first when profiling, so processes can write their profiles.
    const signal = process.env.CORTEN_PROFILE_DIR ? 'SIGTERM' : 'SIGKILL';
    await Promise.all([...this.operators, ...this.hosts].map((p) => p.kill(signal)));
    await this.coordinator?.kill(signal);
    await new Promise<void>((resolveEnd) => this.log.end(() => resolveEnd()));
  }
}
