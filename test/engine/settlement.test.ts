/**
 * Settlement in-process: escrow at submission, rewards and refunds at the
 * verdict, slashes for dissent and for dropped leases, and a ledger that
 * audits clean from the store afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { earningsAccount, escrowAccount, stakeAccount, TREASURY_ACCOUNT } from '../../src/protocol/index.js';
import { spinEu } from '../fixtures/eus.js';
import { EngineHarness, type FakeOperator } from './harness.js';

let h: EngineHarness;
afterEach(async (ctx) => {
  await h.stop(ctx.task.result?.state === 'fail');
});

const PRICE = 10;
const STAKE = 100;

async function stakedOperators(n: number): Promise<FakeOperator[]> {
  const ops: FakeOperator[] = [];
  for (let i = 0; i < n; i++) {
    const op = await h.connect({ region: `r${i}` });
    await h.stake(op.id, STAKE);
    ops.push(op);
  }
  return ops;
}

describe('settlement', () => {
  it('escrows price × quorum × tasks at submission, in one entry', async () => {
    h = await EngineHarness.start('escrow');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3, price: PRICE }));
    const dev = await h.account(1000);
    await h.submit(eu, [{ n: 1 }, { n: 2 }, { n: 3 }], dev);
    expect(h.devBalance(dev)).toBe(1000 - 3 * 2 * PRICE);
    expect(h.balance(escrowAccount(dev))).toBe(3 * 2 * PRICE);
    expect(h.of('ledger.escrowed')).toEqual([expect.objectContaining({ amount: 60, taskIds: 3 })]);
  });

  it('refuses a submission the balance cannot cover, writing nothing', async () => {
    h = await EngineHarness.start('insufficient');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3, price: PRICE }));
    const dev = await h.account(30);
    await expect(h.submit(eu, [{ n: 1 }, { n: 2 }], dev)).rejects.toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    expect(h.devBalance(dev)).toBe(30);
    expect(h.engine.tasks.size).toBe(0);
    expect((await h.store.countTasksByStatus()).pending).toBe(0);
  });

  it("pays each agreeing operator the price at the verdict, from escrow, in the verdict's turn", async () => {
    h = await EngineHarness.start('reward');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3, price: PRICE }));
    const [a, b] = await stakedOperators(2);
    const dev = await h.account(1000);
    const [taskId] = await h.submit(eu, [{ n: 1 }], dev);
    await a!.complete(a!.takeOne(), { v: 1 });
    await b!.complete(b!.takeOne(), { v: 1 });
    expect(h.balance(earningsAccount(a!.id))).toBe(PRICE);
    expect(h.balance(earningsAccount(b!.id))).toBe(PRICE);
    expect(h.balance(escrowAccount(dev))).toBe(0);
    expect(h.of('ledger.rewarded').map((e) => e.operatorId)).toEqual([a!.id, b!.id]);
    const verdictCommit = h.log.find((l) => l.includes('task.verified'))!;
    expect(verdictCommit).toContain('ledger.rewarded');
    expect((await h.store.trust.listLedgerEntries(0, 100)).filter((e) => e.kind === 'settlement')).toHaveLength(1);
    expect(taskId).toBeDefined();
  });

  it('slashes a dissenter slashDissent from its stake to the treasury and pays only the quorum', async () => {
    h = await EngineHarness.start('slash-dissent');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3, price: PRICE }));
    const [a, liar, c] = await stakedOperators(3);
    const dev = await h.account(1000);
    await h.submit(eu, [{ n: 1 }], dev);
    // Two replicas go out first; whichever of them is the liar, it dissents.
    const first = [a!, liar!, c!].filter((op) => op.take().length > 0 || op.sent.length > 0);
    expect(first).toHaveLength(2);
    for (const op of first) await op.send(op.result(op.sent[0]!, op === liar ? { v: 666 } : { v: 1 }));
    const third = [a!, liar!, c!].find((op) => op.sent.length === 0)!;
    await third.send(third.result(third.takeOne(), third === liar ? { v: 666 } : { v: 1 }));
    expect(h.balance(stakeAccount(liar!.id))).toBe(STAKE - h.config.slashDissent);
    expect(h.balance(TREASURY_ACCOUNT)).toBe(h.config.slashDissent);
    expect(h.of('ledger.slashed')).toEqual([
      expect.objectContaining({ operatorId: liar!.id, reason: 'dissent', amount: h.config.slashDissent }),
    ]);
    expect(h.balance(earningsAccount(liar!.id))).toBe(0);
    expect(h.of('ledger.rewarded')).toHaveLength(2);
    expect(h.balance(escrowAccount(dev))).toBe(0);
    // Each operator's running totals, committed with the verdict: what the ledger paid and took.
    const totals = new Map((await h.store.trust.loadOperatorTotals()).map((t) => [t.operatorId, t]));
    expect(totals.get(liar!.id)).toMatchObject({ earned: 0, slashed: h.config.slashDissent, slashes: 1 });
    for (const op of [a!, c!].filter((o) => o !== liar))
      expect(totals.get(op.id)).toMatchObject({ earned: h.balance(earningsAccount(op.id)), slashed: 0, slashes: 0 });
  });

  it('refunds the whole escrow of an unverifiable task and slashes nobody', async () => {
    h = await EngineHarness.start('refund');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 2, price: PRICE }));
    const [a, b] = await stakedOperators(2);
    const dev = await h.account(1000);
    await h.submit(eu, [{ n: 1 }], dev);
    await a!.complete(a!.takeOne(), { v: 1 });
    await b!.complete(b!.takeOne(), { v: 2 });
    expect(h.devBalance(dev)).toBe(1000);
    expect(h.of('ledger.refunded')).toEqual([expect.objectContaining({ amount: 2 * PRICE })]);
    expect(h.of('ledger.slashed')).toEqual([]);
    expect(h.balance(stakeAccount(a!.id)) + h.balance(stakeAccount(b!.id))).toBe(2 * STAKE);
  });

  it('slashes slashExpiry for a lease its operator let expire, and nothing for a release', async () => {
    h = await EngineHarness.start('slash-expiry');
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: 1000 }));
    const [dropper, giver] = await stakedOperators(2);
    await h.submit(eu, [{ n: 1 }, { n: 2 }]);
    dropper!.take();
    const given = giver!.take();
    expect(given.length).toBeGreaterThan(0);
    await giver!.release(given.map((a) => a.assignmentId));
    // The released work may go to the dropper: it drops all it holds.
    const held = dropper!.sent.length + dropper!.take().length;
    h.advance(h.engine.offlineAfterMs + 1);
    giver!.heartbeat();
    await h.reap();
    expect(h.balance(stakeAccount(dropper!.id))).toBe(STAKE - held * h.config.slashExpiry);
    expect(h.balance(stakeAccount(giver!.id))).toBe(STAKE);
    expect(h.of('ledger.slashed').every((e) => e.operatorId === dropper!.id && e.reason === 'operator_offline')).toBe(
      true,
    );
  });

  it('gives no work to an operator below minStake, and suspends one slashed below it', async () => {
    h = await EngineHarness.start('min-stake', { minStake: 100 });
    const eu = await h.publish(spinEu({ quorum: 1, maxReplicas: 1, timeoutMs: 1000 }));
    const op = await h.connect();
    await h.submit(eu, [{ n: 1 }]);
    expect(op.take()).toEqual([]);
    await h.stake(op.id, 100);
    op.takeOne();
    // Silent, so its lease is its fault (an overrun while heartbeating waits for the verdict: eu-fault.ts).
    h.advance(h.engine.offlineAfterMs + 1);
    await h.reap();
    expect(h.balance(stakeAccount(op.id))).toBe(100 - h.config.slashExpiry);
    expect(h.engine.operators.get(op.id)).toMatchObject({ status: 'suspended' });
    expect(h.of('operator.suspended')).toEqual([
      expect.objectContaining({ operatorId: op.id, reason: expect.stringContaining('stake below') }),
    ]);
    // Back online, it is still suspended and gets none of the work waiting for it.
    await op.reconnect();
    expect(h.engine.operators.get(op.id)!.status).toBe('suspended');
    expect(op.take()).toEqual([]);
  });

  it('leaves a ledger that audits clean from the store after rewards, refunds and slashes', async () => {
    h = await EngineHarness.start('audit');
    const eu = await h.publish(spinEu({ quorum: 2, maxReplicas: 3, price: PRICE }));
    const ops = await stakedOperators(3);
    const dev = await h.account(1000);
    await h.submit(eu, [{ n: 1 }, { n: 2 }, { n: 3 }], dev);
    // Every operator answers by its own index: some tasks verify after escalation, one dissent each time.
    for (let round = 0; round < 3; round++) {
      for (const [i, op] of ops.entries()) for (const a of op.take()) await op.complete(a, { v: i === 2 ? 'x' : 1 });
    }
    expect(h.of('task.verified')).toHaveLength(3);
    const audit = await h.audit();
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
    const inside = [...audit.balances].filter(([acct]) => acct !== 'external').reduce((n, [, b]) => n + b, 0);
    expect(inside).toBe(1000 + 3 * STAKE);
  });
});
