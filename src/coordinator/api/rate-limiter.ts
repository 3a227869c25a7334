/**
 * A token bucket a caller, in memory: each caller may spend `perMinute`
 * requests at once and earns them back at `perMinute / 60` a second. One
 * coordinator process holds its own buckets, so with several coordinators
 * behind one address a caller gets the limit at each; the limit is there to
 * keep one key from crowding out the rest, not to bill.
 *
 * Buckets that have refilled are dropped whenever the table grows past
 * `MAX_BUCKETS`, so keys seen once do not pile up.
 */

/** Buckets held before the full ones are swept (a full bucket is the same as none). */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
}

export interface RateDecision {
  allowed: boolean;
  /** When refused: seconds until one request is allowed again (for `retry-after`). */
  retryAfterS: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `perMinute` 0 allows everything. */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one request of `key`'s bucket, if it holds one. */
  take(key: string): RateDecision {
    if (this.perMinute <= 0) return { allowed: true, retryAfterS: 0 };
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.sweep(now);
      bucket = { tokens: this.perMinute, at: now };
      this.buckets.set(key, bucket);
    } else {
      this.refill(bucket, now);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterS: 0 };
    }
    const perMs = this.perMinute / 60_000;
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  /** Buckets held now (for tests). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket, now: number): void {
    const earned = (Math.max(0, now - bucket.at) * this.perMinute) / 60_000;
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + earned);
    bucket.at = now;
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.perMinute) this.buckets.delete(key);
    }
  }
}
