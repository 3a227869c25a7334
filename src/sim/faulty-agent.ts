/**
 * A real operator agent inside fault wrappers: its executor and its transport
 * are the faulty ones (faulty-executor.ts, faulty-transport.ts), so the
 * simulator and the tests can make it fail at run time the way real machines
 * do, while the agent itself runs exactly as in production:
 *
 *   crash()            the process dies: the connection drops at once, held work is gone
 *   hang() / unhang()  the process freezes (SIGSTOP-like): the connection stays
 *                      open, nothing is read, sent or finished until it thaws
 *   partition(mode)    the network to the coordinator fails (`silent` or `reset`)
 *   heal()             the network is back
 *   setSlowFactor(f)   every execution takes f times as long
 *   setFaults(patch)   lie, collude, flip, run late … (faults.ts)
 */
import { Agent, type AgentOptions } from '../operator/index.js';
import { identityId } from '../protocol/index.js';
import { NO_FAULTS, type Faults } from './faults.js';
import { FaultyExecutor } from './faulty-executor.js';
import { FaultyTransport, type PartitionMode } from './faulty-transport.js';

export class FaultyAgent {
  readonly agent: Agent;
  readonly executor: FaultyExecutor;
  readonly transport: FaultyTransport;

  /** Wraps `options.executor` and `options.transport` (default: a WebSocket), starting with `faults`. */
  constructor(options: AgentOptions, faults: Faults = NO_FAULTS) {
    const operatorId = identityId('op', options.keys.publicKey.toString('hex'));
    this.executor = new FaultyExecutor(options.executor, operatorId, faults);
    this.transport = new FaultyTransport(options.transport);
    this.transport.ignoreCancels = faults.lateMs > 0;
    this.agent = new Agent({ ...options, executor: this.executor, transport: this.transport });
  }

  get id(): string {
    return this.agent.id;
  }

  crash(): void {
    this.executor.crash();
    this.transport.crash();
  }

  hang(): void {
    this.transport.hang();
    this.executor.hang();
  }

  /** Frames that came in are handled first, then finished work (a cancel that arrived meanwhile still counts). */
  unhang(): void {
    this.transport.unhang();
    this.executor.unhang();
  }

  partition(mode: PartitionMode = 'silent'): void {
    this.transport.partition(mode);
  }

  heal(): void {
    this.transport.heal();
  }

  setSlowFactor(factor: number): void {
    this.executor.setSlowFactor(factor);
  }

  setFaults(patch: Partial<Faults>): void {
    this.executor.setFaults(patch);
    // A late result is one the coordinator has given up on: its cancel must not stop it.
    this.transport.ignoreCancels = this.executor.current.lateMs > 0;
  }
}
