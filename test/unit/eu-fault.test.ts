/**
 * The EU's fault is not the operator's (eu-fault.ts): resource faults on
 * enough distinct operators make the EU's fault, and settling it pays each
 * execution the submitter caused, refunds the rest and slashes nobody.
 */
import { describe, expect, it } from 'vitest';
import { isEuResourceFault, resourceFaultOperators } from '../../src/coordinator/verification/eu-fault.js';
import { Ledger, transfer } from '../../src/coordinator/economics/ledger.js';
import { Settlement } from '../../src/coordinator/economics/settlement.js';
import type { AssignmentState, EuState, TaskState } from '../../src/coordinator/memory/state.js';
import { earningsAccount, EuManifest, EXTERNAL_ACCOUNT, GENESIS_HASH } from '../../src/protocol/index.js';
import { ChangeSet } from '../../src/store/index.js';

function eu(price: number, quorum: number): EuState {
  return {
    id: 'eu_x',
    manifest: EuManifest.parse({ name: 'x', version: '1.0.0', price, verification: { quorum, maxReplicas: 4 } }),
    files: {},
    publishedAt: 0,
    owner: 'network',
    checkInput: () => null,
  };
}

type Spec = [operator: string, status: AssignmentState['status'], fault: string | null];

function task(e: EuState, specs: Spec[]): TaskState {
  return {
    id: 't1',
    eu: e,
    status: 'running',
    quorum: e.manifest.verification.quorum,
    assignments: specs.map(
      ([op, status, fault], i) =>
        ({
          id: `a${i}`,
          operatorId: op,
          status,
          finishedAt: i,
          errorCode: fault === 'overran' ? null : fault,
          overran: fault === 'overran',
        }) as AssignmentState,
    ),
  } as TaskState;
}

describe('the EU resource rule', () => {
  it('needs resource faults on max(2, quorum) distinct operators, one reported by a sandbox; a silent operator is not one', () => {
    const e2 = eu(0, 2);
    expect(isEuResourceFault(task(e2, [['a', 'submitted', 'EU_OUT_OF_MEMORY']]))).toBe(false);
    expect(
      isEuResourceFault(
        task(e2, [
          ['a', 'submitted', 'EU_OUT_OF_MEMORY'],
          ['a', 'expired', 'overran'],
        ]),
      ),
    ).toBe(false);
    expect(
      isEuResourceFault(
        task(e2, [
          ['a', 'submitted', 'EU_OUT_OF_MEMORY'],
          ['b', 'expired', 'overran'],
        ]),
      ),
    ).toBe(true);
    expect(
      isEuResourceFault(
        task(e2, [
          ['a', 'submitted', 'EU_THREW'],
          ['b', 'expired', 'overran'],
        ]),
      ),
    ).toBe(false);
    expect(
      isEuResourceFault(
        task(e2, [
          ['a', 'expired', null],
          ['b', 'expired', 'overran'],
        ]),
      ),
    ).toBe(false);
    // Overruns alone may be an overloaded network running an honest EU: a sandbox must have seen the EU exceed its
    // limits.
    expect(
      isEuResourceFault(
        task(e2, [
          ['a', 'expired', 'overran'],
          ['b', 'expired', 'overran'],
        ]),
      ),
    ).toBe(false);
    expect(isEuResourceFault(task(eu(0, 1), [['a', 'expired', 'overran']]))).toBe(false);
    expect(
      isEuResourceFault(
        task(eu(0, 1), [
          ['a', 'expired', 'overran'],
          ['b', 'submitted', 'EU_TIMEOUT'],
        ]),
      ),
    ).toBe(true);
    const e3 = eu(0, 3);
    expect(
      resourceFaultOperators(
        task(e3, [
          ['a', 'expired', 'overran'],
          ['b', 'submitted', 'EU_TIMEOUT'],
        ]),
      ).size,
    ).toBe(2);
    expect(
      isEuResourceFault(
        task(e3, [
          ['a', 'expired', 'overran'],
          ['b', 'submitted', 'EU_TIMEOUT'],
        ]),
      ),
    ).toBe(false);
  });

  it('settles eu_resource_exceeded by paying each execution the price, up to the escrow, refunding the rest and slashing nobody', () => {
    const ledger = new Ledger();
    ledger.load({ balances: new Map(), head: { seq: 0, hash: GENESIS_HASH } });
    const changes = new ChangeSet();
    ledger.post(changes, 0, 'deposit', transfer(EXTERNAL_ACCOUNT, 'dev:acct', 100, 'deposit'));
    for (const op of ['a', 'b'])
      ledger.post(changes, 0, 'deposit', transfer(EXTERNAL_ACCOUNT, `stake:${op}`, 120, 'deposit'));
    const settlement = new Settlement(ledger, { slashDissent: 50, slashExpiry: 5 });
    const e = eu(10, 3);
    const t = task(e, [
      ['a', 'expired', 'overran'],
      ['b', 'accepted', 'EU_OUT_OF_MEMORY'],
      ['c', 'expired', null],
    ]);
    t.payer = settlement.escrow(changes, 1, e, 'acct', 1);
    settlement.settle(t, 'failed', 'eu_resource_exceeded');
    expect(settlement.close(changes, 2).slashed.size).toBe(0);
    expect(ledger.balance(earningsAccount('a'))).toBe(10);
    expect(ledger.balance(earningsAccount('b'))).toBe(10);
    expect(ledger.balance(earningsAccount('c'))).toBe(0);
    expect(ledger.balance('dev:acct')).toBe(100 - 20);
    expect(ledger.balance('escrow:acct')).toBe(0);
    expect(ledger.balance('stake:a')).toBe(120);
  });
});
