/**
 * Warm sandbox contexts of one worker, by EU. A task takes a context of its
 * EU (a new one when none is idle) and gives it back when done; a context
 * that is poisoned, or has run `recycleAfter` tasks, or whose memory has grown
 * past half its limit, is disposed instead. Idle contexts are bounded per EU
 * and in all, oldest evicted first.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { EuPackage } from '../../protocol/index.js';
import type { HostServices } from '../capabilities/host-services.js';
import { EuContext, type SandboxLimits } from './eu-context.js';

/** Idle contexts kept per EU: one serves a steady stream; a second covers a task waiting on a host call. */
const IDLE_PER_EU = 2;
/** Idle contexts kept in all (~300 KB each when fresh). */
const IDLE_TOTAL = 32;
/** Tasks between memory samples of a context (a sample costs ~35 µs). */
const SAMPLE_EVERY = 16;

export interface PooledContext {
  context: EuContext;
  limits: SandboxLimits;
  /** Memory in use at the last sample, in bytes. */
  memoryBytes: number;
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
    return { context, limits, memoryBytes: context.memoryUsedBytes() };
  }

  give(euId: string, pooled: PooledContext): void {
    const { context } = pooled;
    if (!context.poisoned && context.tasksRun % SAMPLE_EVERY === 0) pooled.memoryBytes = context.memoryUsedBytes();
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
