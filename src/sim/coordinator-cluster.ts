/**
 * Several coordinator processes on one PostgreSQL store, for tests and
 * benchmarks of leadership: each a real process on its own port, its role
 * followed through the lines the CLI prints (`corten coordinator leader
 * epoch N`, `corten coordinator follower: why`), so a caller waits for a
 * takeover instead of polling. Operators and clients of the attached
 * LocalNetwork get every coordinator's URL.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LocalNetwork, ManagedProcess, type LocalNetworkOptions } from './local-network.js';

export type RoleChange =
  { role: 'leader'; epoch: number; at: number } | { role: 'follower'; reason: string; at: number };

export interface ClusterMember {
  readonly index: number;
  proc: ManagedProcess;
  url: string;
  port: number;
  /** Every role change this member announced, across its restarts. */
  readonly roles: RoleChange[];
}

export interface CoordinatorClusterOptions extends Omit<LocalNetworkOptions, 'coordinatorArgs'> {
  /** postgres://…?schema=… shared by every coordinator. */
  store: string;
  /** Coordinators to start; the first started leads. */
  size: number;
  coordinatorArgs?: string[];
}

type Waiter = { index: number; predicate: (r: RoleChange) => boolean; resolve: (r: RoleChange) => void };

export class CoordinatorCluster {
  readonly network: LocalNetwork;
  readonly members: ClusterMember[] = [];
  private readonly log: WriteStream;
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly opts: CoordinatorClusterOptions) {
    this.network = new LocalNetwork({ ...opts, coordinatorArgs: ['--store', opts.store] });
    this.log = createWriteStream(join(this.network.dir, 'coordinators.log'), { flags: 'a' });
  }

  /** Starts every coordinator, the first alone until it leads; operators then know all their URLs. */
  async start(): Promise<void> {
    for (let i = 0; i < this.opts.size; i++) {
      this.members.push({ index: i, proc: null as unknown as ManagedProcess, url: '', port: 0, roles: [] });
      await this.startMember(i);
      if (i === 0) await this.waitForRole(0, (r) => r.role === 'leader');
    }
    this.network.url = this.urls;
  }

  /** The shared store's URL. */
  get store(): string {
    return this.opts.store;
  }

  /** Every coordinator's URL, comma-separated, as operators and clients take them. */
  get urls(): string {
    return this.members.map((m) => m.url).join(',');
  }

  /** (Re)starts member `i` on its port. */
  async startMember(i: number): Promise<ClusterMember> {
    const member = this.members[i]!;
    const args = [
      'coordinator',
      '--port',
      String(member.port),
      '--store',
      this.opts.store,
      '--log-level',
      'warn',
      '--admin-token',
      this.network.adminToken,
      ...(this.opts.minStake ? ['--min-stake', String(this.opts.minStake)] : []),
      ...(this.opts.allowAnonymous ? ['--allow-anonymous'] : []),
      ...(this.opts.coordinatorArgs ?? []),
    ];
    const proc = new ManagedProcess(`coordinator-${i}`, args, this.log);
    proc.onLine((line) => this.onLine(i, line));
    member.proc = proc;
    const [, url] = await proc.waitForLine(/listening on (http:\/\/\S+)/);
    member.url = url!;
    member.port = Number(new URL(url!).port);
    return member;
  }

  /** The member that announced the highest epoch and is still running. */
  leader(): ClusterMember | undefined {
    let best: { member: ClusterMember; epoch: number } | undefined;
    for (const member of this.members) {
      const last = member.roles[member.roles.length - 1];
      if (!member.proc.running || last?.role !== 'leader') continue;
      if (!best || last.epoch > best.epoch) best = { member, epoch: last.epoch };
    }
    return best?.member;
  }

  /** Resolves with the first role change of member `i` (seen or to come) that matches; -1: any member. */
  waitForRole(i: number, predicate: (r: RoleChange) => boolean, timeoutMs = 60_000): Promise<RoleChange> {
    const seen = (i < 0 ? this.members.flatMap((m) => m.roles) : (this.members[i]?.roles ?? [])).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for a role change of coordinator ${i}`));
      }, timeoutMs);
      const waiter: Waiter = {
        index: i,
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private onLine(i: number, line: string): void {
    const leader = /corten coordinator leader epoch (\d+)/.exec(line);
    const follower = /corten coordinator follower: (.*)/.exec(line);
    const at = performance.now();
    const role: RoleChange | null = leader
      ? { role: 'leader', epoch: Number(leader[1]), at }
      : follower
        ? { role: 'follower', reason: follower[1]!, at }
        : null;
    if (!role) return;
    this.members[i]!.roles.push(role);
    for (const w of [...this.waiters]) {
      if ((w.index === i || w.index < 0) && w.predicate(role)) {
        this.waiters.delete(w);
        w.resolve(role);
      }
    }
  }

  async stop(): Promise<void> {
    await this.network.stop();
    await Promise.all(this.members.map((m) => m.proc.kill('SIGKILL')));
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}
