/**
 * Warm sandbox contexts of one worker, by EU. A task takes a context of its
 * EU (a new one when none is idle) and gives it back when done; a context
 * that is poisoned, or has run `recycleAfter` tasks, or whose memory has grown
 * past half its limit, is disposed instead. Idle contexts are bounded per EU
 * and in all, oldest evicted first.
 *
 * A context's memory grows with every task (QuickJS keeps each evaluated
 * module for the life of the context), and the only measure of it,
 * `computeMemoryUsage`, walks the whole heap: its cost grows with the very
 * modules it counts (~20 µs fresh, ~250 µs after a thousand tasks). (QuickJS's
 * running total, `malloc_size`, would cost nothing to read, but this
 * Emscripten build has no `malloc_usable_size` and counts 8 bytes an
 * allocation whatever its size.) So it is
 * sampled on a schedule: after the first task, then at intervals that double
 * (at least SAMPLE_MIN_INTERVAL tasks), but never further ahead than the
 * growth seen so far would take to pass the recycling threshold by more than
 * OVERSHOOT of it. The sampling cost per task stays small and constant, and
 * while growth is steady the threshold is passed by at most that much (or
 * one task's growth) before the context is recycled.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { EuPackage } from '../../protocol/index.js';
import type { HostServices } from '../capabilities/host-services.js';
import { EuContext, type SandboxLimits } from './eu-context.js';

/** Idle contexts kept per EU: one serves a steady stream; a second covers a task waiting on a host call. */
const IDLE_PER_EU = 2;
/** Idle contexts kept in all (~300 KB each when fresh). */
const IDLE_TOTAL = 32;
/** Fewest tasks between two memory samples of a context, unless its threshold is near. */
const SAMPLE_MIN_INTERVAL = 16;
/** How far past the recycling threshold steady growth may carry a context before a sample sees it, as a share of the
 * threshold. */
const OVERSHOOT = 1 / 8;

export interface PooledContext {
  context: EuContext;
  limits: SandboxLimits;
  /** Memory in use at the last sample, in bytes. */
  memoryBytes: number;
  /** Memory in use after the first task, in bytes: the base that growth is measured from. */
  baseBytes: number;
  /** `tasksRun` at or after which memory is sampled next. */
  nextSample: number;
}

/**
 * The task count at which to sample a context's memory next, given a sample
 * of `bytes` after `tasks` tasks, `baseBytes` after the first, and the
 * recycling `threshold` (see the module comment).
 */
export function nextSampleAt(tasks: number, bytes: number, baseBytes: number, threshold: number): number {
  const perTask = tasks > 1 ? (bytes - baseBytes) / (tasks - 1) : 0;
  const reachable = perTask > 0 ? Math.floor((threshold * (1 + OVERSHOOT) - bytes) / perTask) : Infinity;
  return tasks + Math.max(1, Math.min(Math.max(SAMPLE_MIN_INTERVAL, tasks), reachable));
}

export class ContextPool {
  private readonly idle = new Map<string, PooledContext[]>();
  private idleCount = 0;

  constructor(
    private readonly quickjs: QuickJSWASMModule,
    private readonly services: HostServices,
    private readonly recycleAfter: number,
  ) {}

  take(pkg: EuPackage, limits: SandboxLimits): PooledContext {
    const list = this.idle.get(pkg.id);
    const pooled = list?.pop();
    if (pooled !== undefined) {
      this.idleCount--;
      if (list!.length === 0) this.idle.delete(pkg.id);
      return pooled;
    }
    const context = new EuContext(this.quickjs, pkg, this.services, limits);
    const memoryBytes = context.memoryUsedBytes();
    return { context, limits, memoryBytes, baseBytes: memoryBytes, nextSample: 1 };
  }

  give(euId: string, pooled: PooledContext): void {
    const { context } = pooled;
    if (!context.poisoned && context.tasksRun >= pooled.nextSample) this.sample(pooled);
    const worn = context.tasksRun >= this.recycleAfter || pooled.memoryBytes > pooled.limits.memoryBytes / 2;
    if (context.poisoned || worn) {
      context.dispose();
      return;
    }
    const list = this.idle.get(euId) ?? [];
    if (list.length >= IDLE_PER_EU) {
      context.dispose();
      return;
    }
    list.push(pooled);
    this.idle.delete(euId);
    this.idle.set(euId, list);
    this.idleCount++;
    while (this.idleCount > IDLE_TOTAL) this.evictOldest();
  }

  /** Measures the context's memory and schedules the next measurement. */
  private sample(pooled: PooledContext): void {
    const tasks = pooled.context.tasksRun;
    const bytes = pooled.context.memoryUsedBytes();
    pooled.memoryBytes = bytes;
    if (tasks <= 1) pooled.baseBytes = bytes;
    pooled.nextSample = nextSampleAt(tasks, bytes, pooled.baseBytes, pooled.limits.memoryBytes / 2);
  }

  /** Disposes every idle context. */
  clear(): void {
    for (const list of this.idle.values()) for (const pooled of list) pooled.context.dispose();
    this.idle.clear();
    this.idleCount = 0;
  }

  private evictOldest(): void {
    const [euId, list] = this.idle.entries().next().value as [string, PooledContext[]];
    list.shift()?.context.dispose();
    this.idleCount--;
    if (list.length === 0) this.idle.delete(euId);
  }
}
