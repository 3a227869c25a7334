/**
 * The ledger's invariants: entries balance, no account but external goes
 * negative, value is conserved, the chain verifies, and any tampering is
 * found by recomputing it.
 */
import { describe, expect, it } from 'vitest';
import { Ledger, transfer } from '../../src/coordinator/economics/ledger.js';
import {
  EXTERNAL_ACCOUNT,
  GENESIS_HASH,
  ledgerEntryHash,
  verifyLedger,
  type LedgerEntry,
} from '../../src/protocol/index.js';
import { ChangeSet } from '../../src/store/index.js';

function entriesOf(changes: ChangeSet): LedgerEntry[] {
  return changes.changes.flatMap((c) =>
    c.op === 'ledger.insert' ? [{ ...c.row, postings: JSON.parse(c.row.postings) } as LedgerEntry] : [],
  );
}

function sample(): { ledger: Ledger; changes: ChangeSet } {
  const ledger = new Ledger();
  ledger.load({ balances: new Map(), head: { seq: 0, hash: GENESIS_HASH } });
  const changes = new ChangeSet();
  ledger.post(changes, 1, 'deposit', transfer(EXTERNAL_ACCOUNT, 'dev:a', 1000, 'deposit'));
  ledger.post(changes, 2, 'deposit', transfer(EXTERNAL_ACCOUNT, 'stake:op1', 500, 'deposit'));
  ledger.post(changes, 3, 'escrow', transfer('dev:a', 'escrow:a', 200, 'escrow'));
  ledger.post(changes, 4, 'settlement', [
    ...transfer('escrow:a', 'earn:op1', 100, 'reward', { taskId: 't1', operatorId: 'op1' }),
    ...transfer('escrow:a', 'dev:a', 100, 'refund', { taskId: 't1' }),
    ...transfer('stake:op1', 'treasury', 50, 'slash:dissent', { taskId: 't1', operatorId: 'op1' }),
  ]);
  ledger.post(changes, 5, 'withdrawal', transfer('earn:op1', EXTERNAL_ACCOUNT, 60, 'withdrawal'));
  return { ledger, changes };
}

describe('Ledger', () => {
  it('keeps balances in memory, chains entries, and writes touched balances once per flush', () => {
    const { ledger, changes } = sample();
    expect(ledger.balance('dev:a')).toBe(900);
    expect(ledger.balance('escrow:a')).toBe(0);
    expect(ledger.balance('earn:op1')).toBe(40);
    expect(ledger.balance('treasury')).toBe(50);
    expect(ledger.balance(EXTERNAL_ACCOUNT)).toBe(-1440);
    const entries = entriesOf(changes);
    expect(entries.map((e) => e.id)).toEqual(['le_1', 'le_2', 'le_3', 'le_4', 'le_5']);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    ledger.flush(changes, 9);
    const balances = changes.changes.filter((c) => c.op === 'ledger.balance');
    expect(balances).toHaveLength(6);
    ledger.flush(changes, 10);
    expect(changes.changes.filter((c) => c.op === 'ledger.balance')).toHaveLength(6);
  });

  it('refuses, changing nothing, an entry that does not balance or takes an account below zero', () => {
    const { ledger, changes } = sample();
    const size = changes.size;
    const head = ledger.headHash;
    expect(() =>
      ledger.post(changes, 6, 'settlement', [
        { account: 'dev:a', amount: -10, reason: 'x' },
        { account: 'earn:op1', amount: 9, reason: 'x' },
      ]),
    ).toThrow(/balance/);
    expect(() => ledger.post(changes, 6, 'escrow', transfer('dev:a', 'escrow:a', 901, 'escrow'))).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_BALANCE' }),
    );
    expect(() => ledger.post(changes, 6, 'escrow', transfer('dev:a', 'escrow:a', 1.5, 'escrow'))).toThrow(/integers/);
    expect(changes.size).toBe(size);
    expect(ledger.headHash).toBe(head);
    expect(ledger.balance('dev:a')).toBe(900);
  });
});

describe('verifyLedger', () => {
  const stored = (l: Ledger) => l.snapshot();

  it('accepts an honest ledger: chain, balances, conservation, stored balances', () => {
    const { ledger, changes } = sample();
    const audit = verifyLedger(entriesOf(changes), stored(ledger));
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
    expect(audit.deposited).toBe(1500);
    expect(audit.withdrawn).toBe(60);
    expect(audit.head).toBe(ledger.headHash);
    expect(audit.balances.get('treasury')).toBe(50);
  });

  it('finds an altered amount (the hash no longer matches, and the entry no longer balances)', () => {
    const { changes } = sample();
    const entries = entriesOf(changes);
    entries[3]!.postings[0]!.amount = -90;
    const audit = verifyLedger(entries);
    expect(audit.ok).toBe(false);
    expect(audit.problems.join('\n')).toMatch(/le_4 was altered/);
    expect(audit.problems.join('\n')).toMatch(/le_4 does not balance/);
  });

  it('finds a re-hashed rewrite by the broken link, a deleted entry by the gap, and a balance the store misreports', () => {
    const { ledger, changes } = sample();
    const rewritten = entriesOf(changes);
    rewritten[1]!.postings = transfer(EXTERNAL_ACCOUNT, 'stake:op1', 5000, 'deposit');
    rewritten[1]!.hash = ledgerEntryHash(rewritten[1]!);
    expect(verifyLedger(rewritten).problems.join('\n')).toMatch(/le_3 does not link/);

    const gap = entriesOf(changes);
    gap.splice(2, 1);
    expect(verifyLedger(gap).problems.join('\n')).toMatch(/missing or out of order/);

    const lying = stored(ledger);
    lying.set('dev:a', 5000);
    expect(verifyLedger(entriesOf(changes), lying).problems).toEqual([
      'stored balance of dev:a is 5000; the entries give 900',
    ]);
  });

  it('finds an account taken below zero even in a self-consistent chain', () => {
    const changes = new ChangeSet();
    const body = {
      seq: 1,
      id: 'le_1',
      ts: 1,
      kind: 'settlement' as const,
      postings: transfer('dev:a', 'earn:x', 10, 'reward'),
      prevHash: GENESIS_HASH,
    };
    const entry = { ...body, hash: ledgerEntryHash(body) };
    void changes;
    const audit = verifyLedger([entry]);
    expect(audit.problems).toEqual(['entry le_1 takes dev:a below zero (-10)']);
  });
});
