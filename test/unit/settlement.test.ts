/**
 * Settlement and stake: escrow refuses what a balance cannot cover without
 * writing; verdicts pay the agreeing operators, refund the rest and slash
 * dissenters; slashes never exceed stake and reach stake still unbonding;
 * unbonded stake is paid out after the period, less what was slashed.
 */
import { describe, expect, it } from 'vitest';
import { Ledger, transfer } from '../../src/coordinator/economics/ledger.js';
import { OperatorTotals } from '../../src/coordinator/economics/operator-totals.js';
import { Settlement } from '../../src/coordinator/economics/settlement.js';
import { StakeBook } from '../../src/coordinator/economics/stake-book.js';
import type { AssignmentState, EuState, TaskState } from '../../src/coordinator/memory/state.js';
import {
  EuManifest,
  EXTERNAL_ACCOUNT,
  GENESIS_HASH,
  verifyLedger,
  type LedgerEntry,
} from '../../src/protocol/index.js';
import { ChangeSet } from '../../src/store/index.js';

function eu(price: number, quorum = 2): EuState {
  return {
    id: 'eu_x',
    manifest: EuManifest.parse({ name: 'x', version: '1.0.0', price, verification: { quorum, maxReplicas: 4 } }),
    files: {},
    publishedAt: 0,
    owner: 'network',
    checkInput: () => null,
  };
}

function task(e: EuState, results: [string, AssignmentState['status']][]): TaskState {
  return {
    id: 't1',
    eu: e,
    status: 'verified',
    input: null,
    inputHash: '',
    seed: '',
    clock: 0,
    quorum: 2,
    maxReplicas: 4,
    replicas: 2,
    attempts: results.length,
    submittedAt: 0,
    lostLeases: [],
    queued: false,
    payer: null,
    freeAttempts: 0,
    readyAt: 0,
    owner: 'network',
    assignments: results.map(
      ([op, status], i) => ({ id: `a${i}`, operatorId: op, status, finishedAt: i }) as AssignmentState,
    ),
  } as TaskState;
}

function setup() {
  const ledger = new Ledger();
  ledger.load({ balances: new Map(), head: { seq: 0, hash: GENESIS_HASH } });
  const changes = new ChangeSet();
  ledger.post(changes, 0, 'deposit', transfer(EXTERNAL_ACCOUNT, 'dev:acct', 100, 'deposit'));
  for (const op of ['a', 'b', 'liar'])
    ledger.post(changes, 0, 'deposit', transfer(EXTERNAL_ACCOUNT, `stake:${op}`, 120, 'deposit'));
  const totals = new OperatorTotals();
  const settlement = new Settlement(ledger, { slashDissent: 50, slashExpiry: 5 }, totals);
  return { ledger, changes, settlement, totals };
}

const entries = (changes: ChangeSet) =>
  changes.changes.flatMap((c) =>
    c.op === 'ledger.insert' ? [{ ...c.row, postings: JSON.parse(c.row.postings) } as LedgerEntry] : [],
  );

describe('Settlement', () => {
  it('escrows price × quorum per task, and refuses a submission the balance cannot cover without writing anything', () => {
    const { ledger, changes, settlement } = setup();
    const before = changes.size;
    expect(() => settlement.escrow(changes, 1, eu(10), 'acct', 6)).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_BALANCE' }),
    );
    expect(() => settlement.escrow(changes, 1, eu(10), null, 1)).toThrow(
      expect.objectContaining({ code: 'UNAUTHORIZED' }),
    );
    expect(changes.size).toBe(before);
    expect(settlement.escrow(changes, 1, eu(0), null, 1000)).toBeNull();
    const payer = settlement.escrow(changes, 1, eu(10), 'acct', 5)!;
    expect(payer).toMatchObject({ accountId: 'acct', escrow: 20 });
    expect(ledger.balance('dev:acct')).toBe(0);
    expect(ledger.balance('escrow:acct')).toBe(100);
    expect(changes.events.map((e) => e.type)).toEqual(['ledger.escrowed']);
  });

  it('pays the agreeing operators, refunds the rest, slashes the dissenter, in one entry with its events', () => {
    const { ledger, changes, settlement } = setup();
    const e = eu(10);
    const payer = settlement.escrow(changes, 1, e, 'acct', 1)!;
    const solo = task(e, [['a', 'accepted']]);
    solo.payer = payer;
    settlement.settle(solo, 'verified', null);
    const escalated = task(e, [
      ['a', 'accepted'],
      ['liar', 'rejected'],
      ['b', 'accepted'],
    ]);
    escalated.id = 't2';
    escalated.payer = settlement.escrow(changes, 1, e, 'acct', 1)!;
    settlement.settle(escalated, 'verified', null);
    const closed = settlement.close(changes, 2);
    expect(closed.slashed).toEqual(new Set(['liar']));
    expect(ledger.balance('earn:a')).toBe(20);
    expect(ledger.balance('earn:b')).toBe(10);
    expect(ledger.balance('dev:acct')).toBe(60 + 10);
    expect(ledger.balance('stake:liar')).toBe(70);
    expect(ledger.balance('treasury')).toBe(50);
    const types = changes.events.map((x) => x.type);
    expect(types.filter((t) => t === 'ledger.rewarded')).toHaveLength(3);
    expect(types.filter((t) => t === 'ledger.refunded')).toHaveLength(1);
    expect(changes.events.find((x) => x.type === 'ledger.slashed')!.data).toEqual({
      operatorId: 'liar',
      amount: 50,
      reason: 'dissent',
      taskId: 't2',
      entryId: closed.entryId,
    });
    expect(
      changes.changes
        .filter((c) => c.op === 'ledger.ref')
        .map((c) => (c as { taskId: string }).taskId)
        .sort(),
    ).toEqual(['t1', 't2']);
    expect(verifyLedger(entries(changes), ledger.snapshot()).ok).toBe(true);
  });

  it("adds each operator's rewards and slashes to its running totals as the entry closes, written once a flush", () => {
    const { changes, settlement, totals } = setup();
    totals.load([{ operatorId: 'a', earned: 7, slashed: 1, slashes: 1, updatedAt: 0 }]);
    const e = eu(10);
    const t = task(e, [
      ['a', 'accepted'],
      ['liar', 'rejected'],
      ['b', 'accepted'],
    ]);
    t.payer = settlement.escrow(changes, 1, e, 'acct', 1)!;
    settlement.settle(t, 'verified', null);
    settlement.slashExpiry('liar', 't1', 'silent');
    // Nothing counts before the entry is written: a turn that fails to close adds nothing.
    expect(totals.of('b')).toEqual({ earned: 0, slashed: 0, slashes: 0 });
    settlement.close(changes, 2);
    expect(totals.of('a')).toEqual({ earned: 17, slashed: 1, slashes: 1 });
    expect(totals.of('b')).toEqual({ earned: 10, slashed: 0, slashes: 0 });
    expect(totals.of('liar')).toEqual({ earned: 0, slashed: 55, slashes: 2 });
    const written = () => changes.changes.filter((c) => c.op === 'operator_totals.upsert');
    totals.flush(changes, 3);
    expect(
      written()
        .map((c) => c.row)
        .sort((x, y) => x.operatorId.localeCompare(y.operatorId)),
    ).toEqual([
      { operatorId: 'a', earned: 17, slashed: 1, slashes: 1, updatedAt: 3 },
      { operatorId: 'b', earned: 10, slashed: 0, slashes: 0, updatedAt: 3 },
      { operatorId: 'liar', earned: 0, slashed: 55, slashes: 2, updatedAt: 3 },
    ]);
    totals.flush(changes, 4);
    expect(written()).toHaveLength(3);
  });

  it('refunds everything and slashes nobody when the task is unverifiable', () => {
    const { ledger, changes, settlement } = setup();
    const e = eu(10);
    const t = task(e, [
      ['a', 'rejected'],
      ['b', 'rejected'],
    ]);
    t.payer = settlement.escrow(changes, 1, e, 'acct', 1)!;
    settlement.settle(t, 'failed', 'unverifiable');
    settlement.close(changes, 2);
    expect(ledger.balance('dev:acct')).toBe(100);
    expect(ledger.balance('treasury')).toBe(0);
  });

  it('never slashes more than the stake, and reaches stake still unbonding', () => {
    const { ledger, changes, settlement } = setup();
    const stakes = new StakeBook(ledger, 100, 1000);
    stakes.requestWithdrawal(changes, 0, 'liar', 100);
    expect(stakes.stakeOf('liar')).toBe(20);
    expect(stakes.eligible('liar')).toBe(false);
    expect(settlement.slash('liar', 50, 'dissent', 't')).toBe(50);
    expect(settlement.slash('liar', 500, 'dissent', 't')).toBe(70);
    expect(settlement.slash('liar', 5, 'lease_deadline', 't')).toBe(0);
    settlement.close(changes, 1);
    expect(ledger.balance('stake:liar')).toBe(0);
    expect(ledger.balance('unbond:liar')).toBe(0);
    stakes.payDue(changes, 999);
    expect(changes.events.some((x) => x.type === 'ledger.withdrawn')).toBe(false);
    stakes.payDue(changes, 1000);
    expect(changes.changes.filter((c) => c.op === 'withdrawal.paid')).toEqual([
      expect.objectContaining({ paidAmount: 0 }),
    ]);
    expect(verifyLedger(entries(changes), ledger.snapshot()).ok).toBe(true);
  });

  it('pays unbonded stake out after the period, less what was slashed meanwhile', () => {
    const { ledger, changes, settlement } = setup();
    const stakes = new StakeBook(ledger, 0, 1000);
    expect(() => stakes.requestWithdrawal(changes, 0, 'a', 121)).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_STAKE' }),
    );
    stakes.requestWithdrawal(changes, 0, 'a', 120);
    settlement.slash('a', 5, 'lease_deadline', 't');
    settlement.close(changes, 1);
    stakes.payDue(changes, 1000);
    expect(changes.events.find((x) => x.type === 'ledger.withdrawn')!.data).toMatchObject({
      operatorId: 'a',
      amount: 115,
    });
    expect(ledger.balance(EXTERNAL_ACCOUNT)).toBe(-460 + 115);
    const audit = verifyLedger(entries(changes), ledger.snapshot());
    expect(audit.ok).toBe(true);
    expect(audit.withdrawn).toBe(115);
  });
});
