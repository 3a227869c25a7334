/**
 * Accounts, stake and reputation from the command line. Admin commands read
 * the admin token from $CORTEN_ADMIN_TOKEN (or --admin-token); account
 * commands read the API key from $CORTEN_API_KEY.
 */
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { coordinatorUrl, intOption } from './options.js';
import { printJson } from './output.js';

interface Common {
  coordinator?: string;
  adminToken?: string;
}

function client(opts: Common): CortenClient {
  return new CortenClient(coordinatorUrl(opts.coordinator), opts.adminToken ? { adminToken: opts.adminToken } : {});
}

function common(command: Command): Command {
  return command
    .option('--coordinator <url>', 'coordinator base URL')
    .option('--admin-token <token>', 'admin token (default $CORTEN_ADMIN_TOKEN)');
}

export function trustCommands(program: Command): void {
  const account = program.command('account').description('developer accounts: create, deposit, show');
  common(account.command('create <name>'))
    .description('admin: create an account; prints its API key once')
    .option('--deposit <credits>', 'deposit this much at once', intOption)
    .action(async (name: string, opts: Common & { deposit?: number }) => {
      const c = client(opts);
      const created = await c.createAccount(name);
      if (opts.deposit) Object.assign(created, await c.deposit(created.id, opts.deposit));
      printJson(created);
      process.stderr.write(`export CORTEN_API_KEY=${created.apiKey}   # the key is not shown again\n`);
    });
  common(account.command('deposit <accountId> <credits>'))
    .description('admin: deposit credits into an account')
    .action(async (accountId: string, credits: string, opts: Common) =>
      printJson(await client(opts).deposit(accountId, intOption(credits))),
    );
  common(account.command('show [accountId]'))
    .description("an account's balance and escrow (yours, by $CORTEN_API_KEY, without an id)")
    .action(async (accountId: string | undefined, opts: Common) => printJson(await client(opts).getAccount(accountId)));

  const stake = program.command('stake').description('operator stake: show, deposit, withdraw');
  common(stake.command('show <operatorId>')).action(async (id: string, opts: Common) =>
    printJson(await client(opts).getStake(id)),
  );
  common(stake.command('deposit <operatorId> <credits>'))
    .description("admin: bond credits as an operator's stake")
    .action(async (id: string, credits: string, opts: Common) =>
      printJson(await client(opts).stake(id, intOption(credits))),
    );
  common(stake.command('withdraw <operatorId> <credits>'))
    .description('admin: start unbonding stake (paid out after the unbonding period, still slashable until then)')
    .action(async (id: string, credits: string, opts: Common) =>
      printJson(await client(opts).unstake(id, intOption(credits))),
    );

  common(program.command('reputation <operatorId>'))
    .description("an operator's time-decayed reputation figures")
    .action(async (id: string, opts: Common) => printJson(await client(opts).getReputation(id)));
}
