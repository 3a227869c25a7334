/**
 * Each operator's running totals: the credits it was ever rewarded and slashed, and how many
 * slashes. Kept like the ledger's balances, so that no view sums the ledger: loaded at start,
 * added to as a turn's settlement closes (from the same movements as its `ledger.rewarded` and
 * `ledger.slashed` events), and written once per turn for the operators it touched, in that
 * turn's transaction. Withdrawals do not lower them: they count what was earned, not what is left.
 */
import type { ChangeSet, OperatorTotalsRow } from '../../store/index.js';

export interface OperatorTotalsView {
  earned: number;
  slashed: number;
  slashes: number;
}

const NONE: OperatorTotalsView = { earned: 0, slashed: 0, slashes: 0 };

export class OperatorTotals {
  private readonly totals = new Map<string, OperatorTotalsView>();
  private readonly touched = new Set<string>();

  load(rows: readonly OperatorTotalsRow[]): void {
    this.totals.clear();
    for (const r of rows) this.totals.set(r.operatorId, { earned: r.earned, slashed: r.slashed, slashes: r.slashes });
  }

  of(operatorId: string): OperatorTotalsView {
    return this.totals.get(operatorId) ?? NONE;
  }

  rewarded(operatorId: string, amount: number): void {
    this.change(operatorId).earned += amount;
  }

  slashed(operatorId: string, amount: number): void {
    const t = this.change(operatorId);
    t.slashed += amount;
    t.slashes += 1;
  }

  /** Writes the totals changed since the last flush (once per turn). */
  flush(changes: ChangeSet, now: number): void {
    for (const operatorId of this.touched)
      changes.push({ op: 'operator_totals.upsert', row: { operatorId, ...this.of(operatorId), updatedAt: now } });
    this.touched.clear();
  }

  private change(operatorId: string): OperatorTotalsView {
    let t = this.totals.get(operatorId);
    if (!t) this.totals.set(operatorId, (t = { ...NONE }));
    this.touched.add(operatorId);
    return t;
  }
}
