/**
 * The API of trust and economics: developer accounts and their API keys,
 * deposits, operator stake, the ledger, reputation. Request schemas are
 * validated at the boundary; views are what the SDK receives.
 */
import { z } from 'zod';
import type { LedgerEntry } from './ledger.js';

/** Credits in one request: a positive integer, far below 2^53 so sums stay exact. */
export const Credits = z.int().min(1).max(1_000_000_000_000);

export const CreateAccountRequest = z.strictObject({
  name: z.string().min(1).max(200),
});

export const AmountRequest = z.strictObject({ amount: Credits });

export const OperatorIdParam = z.strictObject({
  id: z.string().regex(/^op_[0-9a-f]{20}$/, 'an operator id is op_ and 20 hex digits'),
});
export const AccountIdParam = z.strictObject({
  id: z.string().regex(/^acct_[0-9a-f]{16}$/, 'an account id is acct_ and 16 hex digits'),
});

export const ListLedgerQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export interface AccountView {
  id: string;
  name: string;
  /** Spendable credits. */
  balance: number;
  /** Credits held for tasks not yet settled. */
  escrow: number;
  createdAt: number;
}

export interface CreatedAccount extends AccountView {
  /** The account's API key (`ck_…`): shown once, only its hash is kept. */
  apiKey: string;
}

export interface StakeView {
  operatorId: string;
  /** Bonded stake (slashable). */
  stake: number;
  /** Stake withdrawn and waiting out the unbonding period (still slashable). */
  unbonding: number;
  earnings: number;
  /** The coordinator's minimum stake for receiving work. */
  minStake: number;
  /** True when the stake meets the minimum. */
  eligible: boolean;
}

export interface LatencyView {
  euId: string;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  /** Decayed means of what the operator reported with its results. */
  durationMs: number;
  cpuMs: number | null;
  memoryMb: number | null;
}

/** Time-decayed reputation figures of one operator (weights halve every `halfLifeMs`). */
export interface ReputationView {
  operatorId: string;
  halfLifeMs: number;
  /** Share of time connected. */
  uptime: number;
  /** Decayed count of heartbeats that came late or never. */
  missedHeartbeats: number;
  /** Leases that ended with a result, over leases that ended at all. */
  leaseCompletion: number;
  /** Checked results that agreed with the verdict, over checked results. */
  agreement: number;
  /** Consecutive agreeing checked results: what adaptive replication trusts. */
  streak: number;
  dissents: number;
  latency: LatencyView[];
  /** The scheduler's score from these figures and the stake (higher is better). */
  score: number;
  /** What the health policy sees now: ok, or why the operator gets less work. */
  health: { degraded: boolean; reasons: string[] };
}

export interface LedgerPage {
  entries: LedgerEntry[];
  next: number;
}

export interface BalancesView {
  balances: Record<string, number>;
  /** Seq and hash of the last entry. */
  head: { seq: number; hash: string };
}
