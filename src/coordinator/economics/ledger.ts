/**
 * The ledger's working memory: every balance, the head of the hash chain,
 * and the writes of the current turn.
 *
 * Balances live here, not in queries: the hot path never reads the
 * database for money. `post` checks an entry (postings sum to zero, no
 * account but `external` goes below zero) before it changes anything, then
 * applies it to the balances, links it to the chain and puts its row in the
 * turn's change set, so the entry commits in the same transaction as the
 * state change it pays for. Balances touched in a turn are written once, at
 * the end of the turn (`flush`). If a commit fails the engine stops and a
 * restart reloads all of this from the store, so memory never runs ahead of
 * the truth for long.
 */
import {
  CortenError,
  entryIdOf,
  EXTERNAL_ACCOUNT,
  GENESIS_HASH,
  ledgerEntryHash,
  type LedgerEntry,
  type LedgerEntryKind,
  type Posting,
} from '../../protocol/index.js';
import type { ChangeSet, LedgerSnapshot } from '../../store/index.js';

export class Ledger {
  private readonly balances = new Map<string, number>();
  private head = { seq: 0, hash: GENESIS_HASH };
  private readonly touched = new Set<string>();

  load(snapshot: LedgerSnapshot): void {
    this.balances.clear();
    for (const [account, balance] of snapshot.balances) this.balances.set(account, balance);
    this.head = { ...snapshot.head };
  }

  balance(account: string): number {
    return this.balances.get(account) ?? 0;
  }

  get headSeq(): number {
    return this.head.seq;
  }

  get headHash(): string {
    return this.head.hash;
  }

  /** Every balance (a copy). */
  snapshot(): Map<string, number> {
    return new Map(this.balances);
  }

  /**
   * Records an entry: validates it, applies it, chains it, and queues its
   * row. Throws (and changes nothing) when the postings do not balance or
   * would take an account below zero.
   */
  post(changes: ChangeSet, ts: number, kind: LedgerEntryKind, postings: Posting[]): LedgerEntry {
    if (postings.length < 2) throw new CortenError('LEDGER_INVALID', `a ${kind} entry needs at least two postings`);
    const delta = new Map<string, number>();
    let sum = 0;
    for (const p of postings) {
      if (!Number.isSafeInteger(p.amount) || p.amount === 0)
        throw new CortenError(
          'LEDGER_INVALID',
          `posting of ${p.amount} to ${p.account}: amounts are non-zero integers`,
        );
      sum += p.amount;
      delta.set(p.account, (delta.get(p.account) ?? 0) + p.amount);
    }
    if (sum !== 0) throw new CortenError('LEDGER_INVALID', `a ${kind} entry must balance; its postings sum to ${sum}`);
    for (const [account, d] of delta) {
      const next = this.balance(account) + d;
      if (next < 0 && account !== EXTERNAL_ACCOUNT) {
        throw new CortenError(
          'INSUFFICIENT_BALANCE',
          `${account} holds ${this.balance(account)} credits; this ${kind} needs ${-d}`,
          {
            details: { account, balance: this.balance(account), needed: -d },
          },
        );
      }
    }
    for (const [account, d] of delta) {
      this.balances.set(account, this.balance(account) + d);
      this.touched.add(account);
    }
    const seq = this.head.seq + 1;
    const body = { seq, id: entryIdOf(seq), ts, kind, postings, prevHash: this.head.hash };
    const entry: LedgerEntry = { ...body, hash: ledgerEntryHash(body) };
    this.head = { seq, hash: entry.hash };
    changes.push({
      op: 'ledger.insert',
      row: {
        seq,
        id: entry.id,
        ts,
        kind,
        postings: JSON.stringify(postings),
        prevHash: entry.prevHash,
        hash: entry.hash,
      },
    });
    return entry;
  }

  /** Writes the balances changed since the last flush (once per turn). */
  flush(changes: ChangeSet, now: number): void {
    if (this.touched.size === 0) return;
    for (const account of this.touched)
      changes.push({ op: 'ledger.balance', account, balance: this.balance(account), updatedAt: now });
    this.touched.clear();
  }
}

/** The two postings that move `amount` from one account to another. */
export function transfer(
  from: string,
  to: string,
  amount: number,
  reason: string,
  tags: { taskId?: string; operatorId?: string } = {},
): Posting[] {
  const out: Posting = { account: from, amount: -amount, reason };
  const into: Posting = { account: to, amount, reason };
  if (tags.taskId) {
    out.taskId = tags.taskId;
    into.taskId = tags.taskId;
  }
  if (tags.operatorId) {
    out.operatorId = tags.operatorId;
    into.operatorId = tags.operatorId;
  }
  return [out, into];
}
