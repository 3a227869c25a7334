/**
 * The ledger's format and its audit: account names, entries, the hash chain
 * that links them, and `verifyLedger`, which recomputes the chain and every
 * balance from the entries alone. The coordinator writes entries; anyone
 * holding them (the CLI with a copy of the database, an auditor with an
 * export) can check them without trusting the coordinator's arithmetic.
 *
 * Money is an integer number of credits. An entry is double-entry: its
 * postings are signed amounts on accounts and sum to zero, so value only
 * ever moves between accounts. The one account allowed below zero is
 * `external` (the world outside corten): a deposit moves value from it, a
 * withdrawal back to it, so minus its balance is all the value held inside.
 */
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';

/** The world outside the network: deposits come from it, withdrawals go to it. The only account that may be negative.
 * */
export const EXTERNAL_ACCOUNT = 'external';
/** The network's own account: slashed stake goes here. */
export const TREASURY_ACCOUNT = 'treasury';
/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** A developer's spendable balance. */
export const devAccount = (accountId: string): string => `dev:${accountId}`;
/** Credits a developer has committed to submitted tasks and not yet paid out or refunded. */
export const escrowAccount = (accountId: string): string => `escrow:${accountId}`;
/** An operator's bonded stake: what slashes take from. */
export const stakeAccount = (operatorId: string): string => `stake:${operatorId}`;
/** An operator's rewards. */
export const earningsAccount = (operatorId: string): string => `earn:${operatorId}`;
/** Stake on its way out: still slashable until the unbonding period ends. */
export const unbondingAccount = (operatorId: string): string => `unbond:${operatorId}`;

export const LEDGER_ENTRY_KINDS = ['deposit', 'escrow', 'settlement', 'unbond', 'withdrawal'] as const;
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];

export const Posting = z.strictObject({
  account: z.string().min(1).max(200),
  /** Signed credits: positive adds to the account, negative takes from it. Never zero. */
  amount: z.int().refine((n) => n !== 0, 'a posting moves a non-zero amount'),
  /** Why: reward | refund | escrow | deposit | slash:<reason> | unbond | withdrawal. */
  reason: z.string().max(100),
  taskId: z.string().max(128).optional(),
  operatorId: z.string().max(128).optional(),
});
export type Posting = z.infer<typeof Posting>;

export const LedgerEntry = z.strictObject({
  /** Position in the chain, from 1, without gaps. */
  seq: z.int().min(1),
  /** `le_<seq>`: what events and receipts cite. */
  id: z.string(),
  ts: z.int(),
  kind: z.enum(LEDGER_ENTRY_KINDS),
  postings: z.array(Posting).min(2),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const entryIdOf = (seq: number): string => `le_${seq}`;

/** The hash an entry must carry: sha256 of the canonical JSON of everything else in it, the previous hash included. */
export function ledgerEntryHash(entry: Omit<LedgerEntry, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      seq: entry.seq,
      id: entry.id,
      ts: entry.ts,
      kind: entry.kind,
      postings: entry.postings,
      prevHash: entry.prevHash,
    }),
  );
}

export interface LedgerAudit {
  ok: boolean;
  /** What is wrong, one line each, first problems first. Empty when ok. */
  problems: string[];
  entries: number;
  /** Balances recomputed from the entries. */
  balances: Map<string, number>;
  /** Value that entered (deposits) and left (withdrawals) the network. */
  deposited: number;
  withdrawn: number;
  /** Hash of the last entry: pin it to detect a later rewrite of history. */
  head: string;
}

const MAX_PROBLEMS = 50;

/**
 * Recomputes the chain and every balance from `entries` (in seq order) and
 * checks the ledger's invariants: every entry is well formed, links to the
 * one before and hashes to what it says; its postings sum to zero; no
 * account but `external` is ever below zero; the value inside the network
 * equals deposits less withdrawals. With `stored`, the balances the
 * coordinator keeps must equal the recomputed ones.
 */
export function verifyLedger(entries: readonly unknown[], stored?: ReadonlyMap<string, number>): LedgerAudit {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  const balances = new Map<string, number>();
  let prevHash = GENESIS_HASH;
  let deposited = 0;
  let withdrawn = 0;
  entries.forEach((raw, index) => {
    const parsed = LedgerEntry.safeParse(raw);
    if (!parsed.success) {
      problem(
        `entry #${index + 1} is malformed: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      );
      return;
    }
    const e = parsed.data;
    if (e.seq !== index + 1)
      problem(`entry ${e.id} has seq ${e.seq} at position ${index + 1}: an entry is missing or out of order`);
    if (e.id !== entryIdOf(e.seq)) problem(`entry seq ${e.seq} is named ${e.id}, expected ${entryIdOf(e.seq)}`);
    if (e.prevHash !== prevHash)
      problem(
        `entry ${e.id} does not link to the entry before it (prevHash ${e.prevHash.slice(0, 12)}…, expected ${prevHash.slice(0, 12)}…)`,
      );
    const hash = ledgerEntryHash(e);
    if (hash !== e.hash)
      problem(
        `entry ${e.id} was altered: its content hashes to ${hash.slice(0, 12)}…, it says ${e.hash.slice(0, 12)}…`,
      );
    prevHash = e.hash;
    let sum = 0;
    for (const p of e.postings) {
      sum += p.amount;
      const next = (balances.get(p.account) ?? 0) + p.amount;
      balances.set(p.account, next);
      if (p.account === EXTERNAL_ACCOUNT) {
        if (p.amount < 0) deposited -= p.amount;
        else withdrawn += p.amount;
      }
    }
    if (sum !== 0) problem(`entry ${e.id} does not balance: its postings sum to ${sum}`);
    for (const p of e.postings) {
      const balance = balances.get(p.account)!;
      if (p.account !== EXTERNAL_ACCOUNT && balance < 0)
        problem(`entry ${e.id} takes ${p.account} below zero (${balance})`);
    }
  });
  let inside = 0;
  for (const [account, balance] of balances) if (account !== EXTERNAL_ACCOUNT) inside += balance;
  if (inside !== deposited - withdrawn)
    problem(`value is not conserved: accounts hold ${inside}, deposits less withdrawals are ${deposited - withdrawn}`);
  if (stored) {
    for (const account of new Set([...balances.keys(), ...stored.keys()])) {
      const want = balances.get(account) ?? 0;
      const have = stored.get(account) ?? 0;
      if (want !== have) problem(`stored balance of ${account} is ${have}; the entries give ${want}`);
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    entries: entries.length,
    balances,
    deposited,
    withdrawn,
    head: prevHash,
  };
}
