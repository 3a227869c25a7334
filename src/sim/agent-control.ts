/**
 * The control channel of an agent host: the simulator drives faults into
 * running agents with one JSON command a line on the host's stdin, and the
 * host answers each with a `corten ctl {…}` line on stdout.
 *
 *   {"id":3,"op":"crash","agents":[12,40]}
 *   corten ctl {"id":3,"ok":true}
 *
 * Agents are named by their global index (see AgentHost). Flapping runs here,
 * in the host, so a flapping agent costs no control traffic per cycle.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { coerceError } from '../protocol/index.js';
import type { Faults } from './faults.js';
import type { AgentHost } from './agent-host.js';

const Agents = z.array(z.int().min(0)).min(1);

export const ControlCommand = z.discriminatedUnion('op', [
  z.strictObject({ id: z.int(), op: z.literal('crash'), agents: Agents }),
  z.strictObject({ id: z.int(), op: z.literal('restart'), agents: Agents }),
  z.strictObject({ id: z.int(), op: z.literal('hang'), agents: Agents }),
  z.strictObject({ id: z.int(), op: z.literal('unhang'), agents: Agents }),
  z.strictObject({
    id: z.int(),
    op: z.literal('partition'),
    agents: Agents,
    mode: z.enum(['silent', 'reset']).default('silent'),
  }),
  z.strictObject({ id: z.int(), op: z.literal('heal'), agents: Agents }),
  z.strictObject({ id: z.int(), op: z.literal('slow'), agents: Agents, factor: z.number().min(1) }),
  z.strictObject({
    id: z.int(),
    op: z.literal('faults'),
    agents: Agents,
    faults: z.strictObject({
      lie: z.boolean().optional(),
      collude: z.boolean().optional(),
      flip: z.boolean().optional(),
      lieRate: z.number().min(0).max(1).optional(),
    }),
  }),
  z.strictObject({ id: z.int(), op: z.literal('flap'), agents: Agents, upMs: z.int().min(1), downMs: z.int().min(1) }),
  z.strictObject({ id: z.int(), op: z.literal('unflap'), agents: Agents }),
]);
export type ControlCommand = z.infer<typeof ControlCommand>;
/** A command before the host fills in defaults (what the simulator sends). */
export type ControlRequest = z.input<typeof ControlCommand>;

export interface ControlReply {
  id: number;
  ok: boolean;
  error?: string;
}

/** The prefix of a reply line on the host's stdout. */
export const CONTROL_REPLY_PREFIX = 'corten ctl ';

export class AgentControl {
  /** Flapping agents: the timer of their next switch. */
  private readonly flapping = new Map<number, NodeJS.Timeout>();
  /**
   * Lying and slowness set on each agent: a restarted operator is the same
   * machine with the same owner, so it keeps them.
   */
  private readonly traits = new Map<number, { faults?: Partial<Faults>; slow?: number }>();

  constructor(private readonly host: AgentHost) {}

  /** Reads commands from `input` until it ends, writing replies with `reply`. */
  serve(input: Readable, reply: (line: string) => void): void {
    createInterface({ input }).on('line', (line) => {
      if (line.trim().length === 0) return;
      reply(CONTROL_REPLY_PREFIX + JSON.stringify(this.handle(line)));
    });
  }

  /** Parses and applies one command line. */
  handle(line: string): ControlReply {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { id: -1, ok: false, error: 'MALFORMED_JSON: a control command is one JSON object a line' };
    }
    const parsed = ControlCommand.safeParse(raw);
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        id,
        ok: false,
        error: `VALIDATION_FAILED: ${issue?.path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`,
      };
    }
    try {
      this.apply(parsed.data);
      return { id, ok: true };
    } catch (thrown) {
      const error = coerceError(thrown);
      return { id, ok: false, error: `${error.code}: ${error.message}` };
    }
  }

  apply(command: ControlCommand): void {
    for (const index of command.agents) {
      if (!this.host.agent(index)) throw new Error(`agent ${index} is not on this host`);
    }
    for (const index of command.agents) {
      const agent = this.host.agent(index)!;
      switch (command.op) {
        case 'crash':
          this.stopFlapping(index);
          agent.crash();
          break;
        case 'restart': {
          this.stopFlapping(index);
          const fresh = this.host.restart(index);
          const traits = this.traits.get(index);
          if (traits?.faults) fresh.setFaults(traits.faults);
          if (traits?.slow) fresh.setSlowFactor(traits.slow);
          break;
        }
        case 'hang':
          agent.hang();
          break;
        case 'unhang':
          agent.unhang();
          break;
        case 'partition':
          agent.partition(command.mode);
          break;
        case 'heal':
          agent.heal();
          break;
        case 'slow':
          agent.setSlowFactor(command.factor);
          this.trait(index).slow = command.factor;
          break;
        case 'faults': {
          agent.setFaults(command.faults);
          const traits = this.trait(index);
          traits.faults = { ...traits.faults, ...command.faults };
          break;
        }
        case 'flap':
          this.startFlapping(index, command.upMs, command.downMs);
          break;
        case 'unflap':
          this.stopFlapping(index);
          this.host.agent(index)!.heal();
          break;
      }
    }
  }

  private trait(index: number): { faults?: Partial<Faults>; slow?: number } {
    let traits = this.traits.get(index);
    if (!traits) {
      traits = {};
      this.traits.set(index, traits);
    }
    return traits;
  }

  /** Drops the connection now, restores it after `downMs`, drops it again `upMs` later, and so on. */
  private startFlapping(index: number, upMs: number, downMs: number): void {
    this.stopFlapping(index);
    const down = () => {
      this.host.agent(index)?.partition('reset');
      this.flapping.set(index, setTimeout(up, downMs));
    };
    const up = () => {
      this.host.agent(index)?.heal();
      this.flapping.set(index, setTimeout(down, upMs));
    };
    down();
  }

  private stopFlapping(index: number): void {
    const timer = this.flapping.get(index);
    if (timer) clearTimeout(timer);
    this.flapping.delete(index);
  }

  /** Stops every flapping timer (host shutdown). */
  close(): void {
    for (const timer of this.flapping.values()) clearTimeout(timer);
    this.flapping.clear();
  }
}
