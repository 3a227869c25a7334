/**
 * `corten ledger verify`: recomputes the ledger's hash chain and every
 * balance from its entries and checks its invariants. It reads the entries
 * from a data folder (`--data`, works with the coordinator up or down) or
 * from a coordinator's admin API (`--coordinator`, with the admin token),
 * and trusts none of the coordinator's arithmetic.
 */
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { CortenError, type LedgerEntry, verifyLedger, type LedgerAudit } from '../protocol/index.js';
import { isPostgresUrl, parseStoreUrl, PostgresStore, SqliteStore, type Store } from '../store/index.js';
import { coordinatorUrl } from './options.js';
import { printJson, printTable } from './output.js';

async function fromDataDir(dir: string): Promise<{ entries: unknown[]; stored: Map<string, number> }> {
  const store: Store = isPostgresUrl(dir)
    ? await PostgresStore.open({ ...parseStoreUrl(dir), readonly: true })
    : new SqliteStore({ dir, readonly: true });
  try {
    const entries: unknown[] = [];
    let after = 0;
    for (;;) {
      const rows = await store.trust.listLedgerEntries(after, 5000);
      for (const r of rows) entries.push({ ...r, postings: JSON.parse(r.postings) as unknown });
      if (rows.length < 5000) break;
      after = rows[rows.length - 1]!.seq;
    }
    return { entries, stored: (await store.trust.loadLedger()).balances };
  } finally {
    await store.close();
  }
}

async function fromCoordinator(url: string): Promise<{ entries: unknown[]; stored: Map<string, number> }> {
  const client = new CortenClient(url);
  const entries: LedgerEntry[] = await client.allLedgerEntries();
  const { balances } = await client.ledgerBalances();
  return { entries, stored: new Map(Object.entries(balances)) };
}

function report(audit: LedgerAudit): void {
  let inside = 0;
  for (const [account, balance] of audit.balances) if (account !== 'external') inside += balance;
  process.stdout.write(`ledger: ${audit.entries} entries, head ${audit.head.slice(0, 16)}…\n`);
  process.stdout.write(`  deposited ${audit.deposited}, withdrawn ${audit.withdrawn}, held inside ${inside}\n`);
}

export function ledgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('the hash-chained ledger: verify it, list balances');

  ledger
    .command('verify')
    .description(
      'recompute the hash chain and every balance; check that entries balance, nothing goes negative and value is conserved',
    )
    .option('--data <dir>', 'a coordinator data folder (reads its database directly)')
    .option('--store <url>', 'a postgres:// store (reads its schema directly, read-only)')
    .option('--coordinator <url>', 'a coordinator (needs the admin token: $CORTEN_ADMIN_TOKEN)')
    .option('--json', 'print the audit as JSON')
    .action(async (opts: { data?: string; store?: string; coordinator?: string; json?: boolean }) => {
      const place = opts.store ?? opts.data;
      const { entries, stored } = place
        ? await fromDataDir(place)
        : await fromCoordinator(coordinatorUrl(opts.coordinator));
      const audit = verifyLedger(entries, stored);
      if (opts.json) printJson({ ...audit, balances: Object.fromEntries(audit.balances) });
      else report(audit);
      if (!audit.ok) {
        throw new CortenError(
          'LEDGER_INVALID',
          `the ledger does not verify (${audit.problems.length} problems): ${audit.problems.join('; ')}`,
        );
      }
      if (!opts.json)
        process.stdout.write(
          '  ok: the chain links and hashes, every entry balances, no account below zero, value conserved, stored balances match\n',
        );
    });

  ledger
    .command('balances')
    .description('every account balance, recomputed from the entries')
    .option('--data <dir>', 'a coordinator data folder')
    .option('--coordinator <url>', 'a coordinator (needs the admin token)')
    .action(async (opts: { data?: string; coordinator?: string }) => {
      const { entries } = opts.data
        ? await fromDataDir(opts.data)
        : await fromCoordinator(coordinatorUrl(opts.coordinator));
      const audit = verifyLedger(entries);
      printTable(
        ['ACCOUNT', 'BALANCE'],
        [...audit.balances].sort(([a], [b]) => a.localeCompare(b)).map(([a, b]) => [a, b]),
      );
    });
}
