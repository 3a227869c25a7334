/**
 * The Store contract for trust and economics (`store.trust`): accounts, the
 * ledger and its balances, task payers, withdrawals, reputation. Their writes
 * travel in the change set like every other write.
 */
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/protocol/index.js';
import { ChangeSet, type LedgerEntryRow, type OperatorSampleRow, type WithdrawalRow } from '../../src/store/index.js';
import { taskRow, withEu, type StoreContext } from './store-fixtures.js';

function entry(seq: number, over: Partial<LedgerEntryRow> = {}): LedgerEntryRow {
  return {
    seq,
    id: `le_${seq}`,
    ts: seq * 10,
    kind: 'deposit',
    postings: '[]',
    prevHash: seq === 1 ? GENESIS_HASH : `h${seq - 1}`,
    hash: `h${seq}`,
    ...over,
  };
}

function withdrawal(id: string, availableAt: number): WithdrawalRow {
  return {
    id,
    operatorId: 'op_1',
    amount: 10,
    requestedAt: 1,
    availableAt,
    requestEntry: 'le_1',
    paidEntry: null,
    paidAmount: null,
  };
}

function sample(operatorId: string, ts: number, score = 0.5): OperatorSampleRow {
  return { operatorId, ts, score, uptime: 1, agreement: 0.75, leaseCompletion: 1, stake: 100, status: 'online' };
}

export function describeTrustContract(ctx: StoreContext): void {
  describe('trust: accounts', () => {
    it('finds accounts by id and by key hash, and lists them by creation then id', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'account.insert', row: { id: 'acct_b', name: 'b', keyHash: 'kb', createdAt: 2 } });
      cs.push({ op: 'account.insert', row: { id: 'acct_c', name: 'c', keyHash: 'kc', createdAt: 1 } });
      cs.push({ op: 'account.insert', row: { id: 'acct_a', name: 'a', keyHash: 'ka', createdAt: 2 } });
      await ctx.store.commit(cs);
      expect(await ctx.store.trust.getAccount('acct_b')).toEqual({
        id: 'acct_b',
        name: 'b',
        keyHash: 'kb',
        createdAt: 2,
      });
      expect((await ctx.store.trust.findAccountByKeyHash('kc'))?.id).toBe('acct_c');
      expect(await ctx.store.trust.findAccountByKeyHash('nope')).toBeUndefined();
      expect(await ctx.store.trust.getAccount('nope')).toBeUndefined();
      expect((await ctx.store.trust.listAccounts()).map((a) => a.id)).toEqual(['acct_c', 'acct_a', 'acct_b']);
    });
  });

  describe('trust: the ledger', () => {
    it('starts at the genesis head with no balances', async () => {
      const ledger = await ctx.store.trust.loadLedger();
      expect(ledger.head).toEqual({ seq: 0, hash: GENESIS_HASH });
      expect(ledger.balances.size).toBe(0);
      expect(await ctx.store.trust.listLedgerEntries(0, 10)).toEqual([]);
    });

    it('keeps entries in order, the latest balance of each account, and the head of the chain', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'ledger.insert', row: entry(1, { postings: '[{"account":"dev:acct_a","amount":5}]' }) });
      cs.push({ op: 'ledger.balance', account: 'dev:acct_a', balance: 5, updatedAt: 10 });
      cs.push({ op: 'ledger.balance', account: 'external', balance: -5, updatedAt: 10 });
      await ctx.store.commit(cs);
      const more = new ChangeSet();
      for (const seq of [2, 3]) more.push({ op: 'ledger.insert', row: entry(seq, { kind: 'escrow' }) });
      more.push({ op: 'ledger.balance', account: 'dev:acct_a', balance: 3, updatedAt: 30 });
      await ctx.store.commit(more);
      const ledger = await ctx.store.trust.loadLedger();
      expect(ledger.head).toEqual({ seq: 3, hash: 'h3' });
      expect(ledger.balances).toEqual(
        new Map([
          ['dev:acct_a', 3],
          ['external', -5],
        ]),
      );
      expect(await ctx.store.trust.listLedgerEntries(0, 10)).toEqual([
        entry(1, { postings: '[{"account":"dev:acct_a","amount":5}]' }),
        entry(2, { kind: 'escrow' }),
        entry(3, { kind: 'escrow' }),
      ]);
      expect((await ctx.store.trust.listLedgerEntries(1, 1)).map((e) => e.seq)).toEqual([2]);
      expect(await ctx.store.trust.listLedgerEntries(3, 10)).toEqual([]);
    });

    it('refuses a second entry at the same position', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'ledger.insert', row: entry(1) });
      await ctx.store.commit(cs);
      const again = new ChangeSet();
      again.push({ op: 'ledger.insert', row: entry(1, { id: 'le_1b' }) });
      await expect(ctx.store.commit(again)).rejects.toThrow();
      expect((await ctx.store.trust.listLedgerEntries(0, 10)).map((e) => e.id)).toEqual(['le_1']);
    });

    it('records the entries that moved value for a task, each once', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'ledger.ref', taskId: 't1', entryId: 'le_4' });
      cs.push({ op: 'ledger.ref', taskId: 't1', entryId: 'le_7' });
      cs.push({ op: 'ledger.ref', taskId: 't1', entryId: 'le_4' });
      cs.push({ op: 'ledger.ref', taskId: 't2', entryId: 'le_5' });
      await ctx.store.commit(cs);
      expect((await ctx.store.trust.ledgerRefsOfTask('t1')).sort()).toEqual(['le_4', 'le_7']);
      expect(await ctx.store.trust.ledgerRefsOfTask('t3')).toEqual([]);
    });
  });

  describe('trust: task payers', () => {
    it("finds a task's payer, and loads the payers of open tasks only", async () => {
      const cs = withEu();
      cs.push({ op: 'task.insert', row: taskRow('t1', { status: 'running' }) });
      cs.push({ op: 'task.insert', row: taskRow('t2', { status: 'verified' }) });
      cs.push({ op: 'task.insert', row: taskRow('t3') });
      cs.push({ op: 'task.account', row: { taskId: 't1', accountId: 'acct_a', escrow: 6, escrowEntry: 'le_2' } });
      cs.push({ op: 'task.account', row: { taskId: 't2', accountId: 'acct_a', escrow: 4, escrowEntry: 'le_3' } });
      await ctx.store.commit(cs);
      expect(await ctx.store.trust.getTaskAccount('t1')).toEqual({
        taskId: 't1',
        accountId: 'acct_a',
        escrow: 6,
        escrowEntry: 'le_2',
      });
      expect(await ctx.store.trust.getTaskAccount('t3')).toBeUndefined();
      expect((await ctx.store.trust.loadTaskAccountsOfOpenTasks()).map((r) => r.taskId)).toEqual(['t1']);
    });
  });

  describe('trust: withdrawals', () => {
    it('lists pending withdrawals by when they become available, and pays each once', async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'withdrawal.insert', row: withdrawal('wd_late', 50) });
      cs.push({ op: 'withdrawal.insert', row: withdrawal('wd_soon', 20) });
      cs.push({ op: 'withdrawal.insert', row: withdrawal('wd_mid', 30) });
      await ctx.store.commit(cs);
      expect((await ctx.store.trust.listPendingWithdrawals()).map((w) => w.id)).toEqual([
        'wd_soon',
        'wd_mid',
        'wd_late',
      ]);
      const pay = new ChangeSet();
      pay.push({ op: 'withdrawal.paid', id: 'wd_mid', paidEntry: 'le_9', paidAmount: 7 });
      await ctx.store.commit(pay);
      expect(await ctx.store.trust.listPendingWithdrawals()).toEqual([
        withdrawal('wd_soon', 20),
        withdrawal('wd_late', 50),
      ]);
      // Paying it again (or paying one that does not exist) fails the commit and changes nothing.
      const twice = new ChangeSet();
      twice.push({ op: 'withdrawal.paid', id: 'wd_soon', paidEntry: 'le_10', paidAmount: 10 });
      twice.push({ op: 'withdrawal.paid', id: 'wd_mid', paidEntry: 'le_11', paidAmount: 7 });
      await expect(ctx.store.commit(twice)).rejects.toThrow();
      expect((await ctx.store.trust.listPendingWithdrawals()).map((w) => w.id)).toEqual(['wd_soon', 'wd_late']);
    });
  });

  describe('trust: reputation', () => {
    it("upserts an operator's reputation and loads the latest of each", async () => {
      const cs = new ChangeSet();
      cs.push({ op: 'reputation.upsert', row: { operatorId: 'op_1', streak: 1, figures: '{"a":1}', updatedAt: 1 } });
      cs.push({ op: 'reputation.upsert', row: { operatorId: 'op_2', streak: 0, figures: '{}', updatedAt: 1 } });
      await ctx.store.commit(cs);
      const later = new ChangeSet();
      later.push({ op: 'reputation.upsert', row: { operatorId: 'op_1', streak: 5, figures: '{"a":2}', updatedAt: 9 } });
      await ctx.store.commit(later);
      const rows = (await ctx.store.trust.loadReputation()).sort((x, y) => x.operatorId.localeCompare(y.operatorId));
      expect(rows).toEqual([
        { operatorId: 'op_1', streak: 5, figures: '{"a":2}', updatedAt: 9 },
        { operatorId: 'op_2', streak: 0, figures: '{}', updatedAt: 1 },
      ]);
    });
  });
  describe('trust: operator totals', () => {
    it('keeps the latest running totals of each operator', async () => {
      expect(await ctx.store.trust.loadOperatorTotals()).toEqual([]);
      const cs = new ChangeSet();
      cs.push({
        op: 'operator_totals.upsert',
        row: { operatorId: 'op_1', earned: 3, slashed: 0, slashes: 0, updatedAt: 1 },
      });
      cs.push({
        op: 'operator_totals.upsert',
        row: { operatorId: 'op_2', earned: 0, slashed: 5, slashes: 1, updatedAt: 1 },
      });
      await ctx.store.commit(cs);
      const later = new ChangeSet();
      later.push({
        op: 'operator_totals.upsert',
        row: { operatorId: 'op_1', earned: 9, slashed: 2, slashes: 1, updatedAt: 7 },
      });
      await ctx.store.commit(later);
      const rows = (await ctx.store.trust.loadOperatorTotals()).sort((x, y) =>
        x.operatorId.localeCompare(y.operatorId),
      );
      expect(rows).toEqual([
        { operatorId: 'op_1', earned: 9, slashed: 2, slashes: 1, updatedAt: 7 },
        { operatorId: 'op_2', earned: 0, slashed: 5, slashes: 1, updatedAt: 1 },
      ]);
    });
  });

  describe('trust: operator history', () => {
    it("lists an operator's latest samples since a time, oldest first, and no other operator's", async () => {
      const cs = new ChangeSet();
      for (const ts of [10, 20, 30, 40]) cs.push({ op: 'operator_sample.insert', row: sample('op_1', ts, ts / 100) });
      cs.push({ op: 'operator_sample.insert', row: { ...sample('op_2', 25), status: 'offline', stake: 0 } });
      await ctx.store.commit(cs);
      const trust = ctx.store.trust;
      expect(await trust.listOperatorSamples('op_1', 0, 10)).toEqual(
        [10, 20, 30, 40].map((t) => sample('op_1', t, t / 100)),
      );
      // The limit keeps the latest; `since` is inclusive.
      expect((await trust.listOperatorSamples('op_1', 0, 2)).map((r) => r.ts)).toEqual([30, 40]);
      expect((await trust.listOperatorSamples('op_1', 20, 10)).map((r) => r.ts)).toEqual([20, 30, 40]);
      expect(await trust.listOperatorSamples('op_2', 0, 10)).toEqual([
        { ...sample('op_2', 25), status: 'offline', stake: 0 },
      ]);
      expect(await trust.listOperatorSamples('op_3', 0, 10)).toEqual([]);
    });

    it('refuses a second sample of an operator at the same time, and prunes every operator by age', async () => {
      const cs = new ChangeSet();
      for (const ts of [10, 20, 30]) cs.push({ op: 'operator_sample.insert', row: sample('op_1', ts) });
      cs.push({ op: 'operator_sample.insert', row: sample('op_2', 15) });
      await ctx.store.commit(cs);
      const twice = new ChangeSet();
      twice.push({ op: 'operator_sample.insert', row: sample('op_2', 40) });
      twice.push({ op: 'operator_sample.insert', row: sample('op_1', 30) });
      await expect(ctx.store.commit(twice)).rejects.toThrow();
      expect((await ctx.store.trust.listOperatorSamples('op_2', 0, 10)).map((r) => r.ts)).toEqual([15]);
      const prune = new ChangeSet();
      prune.push({ op: 'operator_sample.prune', before: 20 });
      await ctx.store.commit(prune);
      expect((await ctx.store.trust.listOperatorSamples('op_1', 0, 10)).map((r) => r.ts)).toEqual([20, 30]);
      expect(await ctx.store.trust.listOperatorSamples('op_2', 0, 10)).toEqual([]);
    });
  });
}
