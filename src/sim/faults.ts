/**
 * Fault fixtures: ways an operator can misbehave on purpose, so tests and the
 * simulator can check that the network copes. A real operator runs with none.
 *
 *   lie       returns a wrong output of its own (every liar differs)
 *   collude   returns the same wrong output as every other colluder
 *   flip      returns its honest output with one fact flipped in each string
 *             (a number, a negation or an antonym: fact-flip.ts), the lie
 *             that keeps the wording
 *   lieRate   the share of tasks it lies on (default 1)
 *   slowMs    adds this much time to every execution
 *   lateMs    holds each result this long before sending it, ignoring cancels
 *             (to test that results for expired leases are refused)
 */
import { z } from 'zod';
import { sha256Hex } from '../protocol/index.js';
import { flipOutput } from './fact-flip.js';

export const Faults = z.strictObject({
  lie: z.boolean().default(false),
  collude: z.boolean().default(false),
  flip: z.boolean().default(false),
  lieRate: z.number().min(0).max(1).default(1),
  slowMs: z.int().min(0).default(0),
  lateMs: z.int().min(0).default(0),
});
export type Faults = z.infer<typeof Faults>;

export const NO_FAULTS: Faults = { lie: false, collude: false, flip: false, lieRate: 1, slowMs: 0, lateMs: 0 };

/** Parses `lie`, `collude,lieRate=0.3`, `slowMs=500` … (comma-separated). */
export function parseFaults(spec: string | undefined): Faults {
  if (!spec) return NO_FAULTS;
  const raw: Record<string, unknown> = {};
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key, value] = part.split('=');
    raw[key!] = value === undefined ? true : Number(value);
  }
  return Faults.parse(raw);
}

/**
 * Whether to lie on this task. Colluders pick by the task's seed alone, so they
 * lie on the same tasks; a lone liar mixes in its own id.
 */
export function shouldLie(faults: Faults, seed: string, operatorId: string): boolean {
  if (!faults.lie && !faults.collude && !faults.flip) return false;
  if (faults.lieRate >= 1) return true;
  const basis = faults.collude ? seed : sha256Hex(`${seed}:${operatorId}`);
  return parseInt(basis.slice(0, 8), 16) / 0xffffffff < faults.lieRate;
}

export function wrongOutput(faults: Faults, operatorId: string, taskId: string, honest?: unknown): unknown {
  if (faults.flip) return flipOutput(honest ?? null);
  if (faults.collude) return { colluded: true, taskId };
  return { lie: operatorId, taskId };
}
