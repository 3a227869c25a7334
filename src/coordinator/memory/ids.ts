/**
 * Ids for tasks and assignments: a prefix, the creation time in base 36 (so
 * ids sort by creation), a random per-process part (so two coordinators, or
 * one coordinator before and after a restart, never collide) and a counter.
 */
import { randomBytes } from 'node:crypto';

const processPart = randomBytes(4).toString('hex').slice(0, 6);
let counter = 0;

export function newId(prefix: string, now: number = Date.now()): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  return `${prefix}_${now.toString(36)}${processPart}${counter.toString(36).padStart(4, '0')}`;
}

/** Random bytes drawn 4 KB at a time: a seed per task, thousands a second. */
let pool = Buffer.alloc(0);
let poolAt = 0;

/** A fresh 128-bit hex seed for a task's Math.random. */
export function newSeed(): string {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  poolAt += 16;
  return pool.toString('hex', poolAt - 16, poolAt);
}
