/**
 * The EU packages a sandbox worker holds, least recently used evicted beyond
 * a bound (the pool resends a package on demand). Each keeps what the worker
 * derives from it once rather than per execution: its compiled schemas, and
 * how long its executions have lately kept the worker busy (which tells the
 * worker whether results waiting to be sent should go before the next one
 * starts, see worker-main).
 */
import type { EuPackage } from '../../protocol/index.js';
import { compileSchemas, type EuSchemas } from '../eu-schemas.js';

/** Weight of the newest execution in `busyMs`'s moving average. */
const BUSY_WEIGHT = 0.25;

export class HeldPackage {
  /**
   * How long an execution of this EU lately kept the worker busy, in ms (a
   * moving average: one execution slowed by a preempted thread or a context
   * being built does not change it much); undefined before the first.
   */
  busyMs: number | undefined;
  /** When it was last used, in the cache's count of uses. */
  lastUse = 0;
  private compiled: EuSchemas | Error | undefined;

  constructor(readonly pkg: EuPackage) {}

  /** The package's validators; throws INVALID_MANIFEST (every time) when a schema does not compile. */
  schemas(): EuSchemas {
    if (this.compiled === undefined) {
      try {
        this.compiled = compileSchemas(this.pkg.manifest, this.pkg.id);
      } catch (error) {
        this.compiled = error as Error;
      }
    }
    if (this.compiled instanceof Error) throw this.compiled;
    return this.compiled;
  }

  noteBusy(ms: number): void {
    this.busyMs = this.busyMs === undefined ? ms : (1 - BUSY_WEIGHT) * this.busyMs + BUSY_WEIGHT * ms;
  }
}

export class PackageCache {
  private readonly held = new Map<string, HeldPackage>();
  /** Counts uses; a package's `lastUse` orders eviction (cheaper than reordering the map on every run). */
  private uses = 0;

  constructor(private readonly capacity: number) {}

  /** The package with this id, if held (it becomes the most recently used). */
  get(euId: string): HeldPackage | undefined {
    const held = this.held.get(euId);
    if (held !== undefined) held.lastUse = ++this.uses;
    return held;
  }

  /** Holds `pkg` (keeping what was derived from an earlier copy of it), evicting the least recently used beyond
   * capacity. */
  put(pkg: EuPackage): HeldPackage {
    let held = this.get(pkg.id);
    if (held !== undefined) return held;
    held = new HeldPackage(pkg);
    held.lastUse = ++this.uses;
    this.held.set(pkg.id, held);
    if (this.held.size > this.capacity) this.evictLeastRecent();
    return held;
  }

  private evictLeastRecent(): void {
    let oldest: HeldPackage | undefined;
    for (const held of this.held.values()) if (oldest === undefined || held.lastUse < oldest.lastUse) oldest = held;
    if (oldest !== undefined) this.held.delete(oldest.pkg.id);
  }
}
