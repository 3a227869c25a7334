/**
 * Time-decayed figures: sums, means and histograms whose older samples weigh
 * less, halving every `halfLifeMs`. Reputation is built from them, so an
 * operator's record follows what it does now, not what it did last month.
 *
 * They use forward decay: a sample added at time t gets weight
 * 2^((t − landmark) / halfLife), and a read at time now divides by
 * 2^((now − landmark) / halfLife). Adding is O(1) and never touches older
 * samples; when the exponent grows large the landmark moves forward and the
 * stored sums are rescaled once, so the numbers stay finite. Times are
 * whatever clock the caller passes (tests pass a fake one).
 */

/** Exponent past which the landmark moves forward (2^60 is still far from overflow for sums of credits or ms). */
const REBASE_EXPONENT = 60;

export interface DecayingSumJson {
  l: number;
  s: number;
}

export class DecayingSum {
  private landmark: number;
  private sum = 0;

  constructor(
    readonly halfLifeMs: number,
    start = 0,
  ) {
    this.landmark = start;
  }

  add(value: number, at: number): void {
    const exponent = (at - this.landmark) / this.halfLifeMs;
    if (exponent > REBASE_EXPONENT) {
      this.sum *= 2 ** -exponent;
      this.landmark = at;
      this.sum += value;
      return;
    }
    this.sum += value * 2 ** exponent;
  }

  /** The decayed total as seen at `at`. */
  value(at: number): number {
    return this.sum * 2 ** (-(at - this.landmark) / this.halfLifeMs);
  }

  toJSON(): DecayingSumJson {
    return { l: this.landmark, s: this.sum };
  }

  static from(json: DecayingSumJson | undefined, halfLifeMs: number): DecayingSum {
    const d = new DecayingSum(halfLifeMs);
    if (json && Number.isFinite(json.l) && Number.isFinite(json.s)) {
      d.landmark = json.l;
      d.sum = json.s;
    }
    return d;
  }
}

/** A decayed mean: decayed sum of values over decayed count. */
export class DecayingMean {
  readonly values: DecayingSum;
  readonly weights: DecayingSum;

  constructor(halfLifeMs: number, json?: { v: DecayingSumJson; w: DecayingSumJson }) {
    this.values = DecayingSum.from(json?.v, halfLifeMs);
    this.weights = DecayingSum.from(json?.w, halfLifeMs);
  }

  add(value: number, at: number): void {
    this.values.add(value, at);
    this.weights.add(1, at);
  }

  /** The mean, or null before any sample. */
  mean(at: number): number | null {
    const w = this.weights.value(at);
    return w > 0 ? this.values.value(at) / w : null;
  }

  toJSON(): { v: DecayingSumJson; w: DecayingSumJson } {
    return { v: this.values.toJSON(), w: this.weights.toJSON() };
  }
}

/**
 * Bucket bounds of latency histograms: 1 ms × 1.25^i. 72 buckets reach past
 * 8 hours; a quantile read from them is within 12% of the true value, which
 * is plenty to tell a slowing operator from a healthy one.
 */
const BUCKET_BASE = 1.25;
const BUCKETS = 72;
const LOG_BASE = Math.log(BUCKET_BASE);

export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms) / LOG_BASE));
}

/** Geometric middle of a bucket: the value a quantile in it reads as. */
function bucketMiddle(i: number): number {
  return BUCKET_BASE ** (i + 0.5);
}

export interface DecayingHistogramJson {
  l: number;
  w: number[];
}

/** A histogram of decayed sample weights over log-spaced buckets, for quantiles. */
export class DecayingHistogram {
  private landmark: number;
  private readonly weights = new Float64Array(BUCKETS);

  constructor(
    readonly halfLifeMs: number,
    start = 0,
  ) {
    this.landmark = start;
  }

  add(ms: number, at: number): void {
    let exponent = (at - this.landmark) / this.halfLifeMs;
    if (exponent > REBASE_EXPONENT) {
      const scale = 2 ** -exponent;
      for (let i = 0; i < BUCKETS; i++) this.weights[i]! *= scale;
      this.landmark = at;
      exponent = 0;
    }
    this.weights[bucketOf(ms)]! += 2 ** exponent;
  }

  /** Decayed number of samples as seen at `at`. */
  count(at: number): number {
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += this.weights[i]!;
    return total * 2 ** (-(at - this.landmark) / this.halfLifeMs);
  }

  /** The q-quantile (0..1) in ms, or null before any sample. Decay scales every bucket alike, so it cancels here. */
  quantile(q: number): number | null {
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) total += this.weights[i]!;
    if (total === 0) return null;
    const target = q * total;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.weights[i]!;
      if (seen >= target && this.weights[i]! > 0) return bucketMiddle(i);
    }
    return bucketMiddle(BUCKETS - 1);
  }

  toJSON(): DecayingHistogramJson {
    return { l: this.landmark, w: Array.from(this.weights) };
  }

  static from(json: DecayingHistogramJson | undefined, halfLifeMs: number): DecayingHistogram {
    const h = new DecayingHistogram(halfLifeMs);
    if (json && Array.isArray(json.w) && json.w.length === BUCKETS) {
      h.landmark = json.l;
      h.weights.set(json.w);
    }
    return h;
  }
}
