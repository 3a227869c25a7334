/**
 * `corten operator status --key FILE`: the operator's standing as the
 * coordinator holds it (status, stake, earnings, slashes with their reasons,
 * reputation), asked with a request signed by the operator's own key, so the
 * owner needs no admin token.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CortenClient } from '../client/index.js';
import { CortenError, identityId, loadOrCreateKeyFile, type OperatorStandingView } from '../protocol/index.js';
import { coordinatorUrl } from './options.js';
import { printJson, table } from './output.js';

interface StatusOptions {
  key: string;
  coordinator?: string;
  json?: boolean;
}

export function operatorStatusCommand(operator: Command): void {
  operator
    .command('status')
    .description("the operator's standing: status, stake, earnings, slashes with their reasons, reputation")
    .requiredOption('--key <file>', "the operator's Ed25519 key file (requests are signed with it)")
    .option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)')
    .option('--json', 'print the standing as JSON')
    .action(async (opts: StatusOptions) => {
      const { client, operatorId } = ownerClient(opts);
      const standing = await client.getStanding(operatorId);
      if (opts.json) printJson(standing);
      else process.stdout.write(formatStanding(standing));
    });
}

/** A client that signs with the operator's key file, and its id; a missing file is an error, never a new key. */
export function ownerClient(opts: { key: string; coordinator?: string }): { client: CortenClient; operatorId: string } {
  if (!existsSync(opts.key)) {
    throw new CortenError('VALIDATION_FAILED', `no key file at ${opts.key}: pass the file the operator runs with`);
  }
  const { keys } = loadOrCreateKeyFile(opts.key);
  const operatorId = identityId('op', keys.publicKey.toString('hex'));
  return { client: new CortenClient(coordinatorUrl(opts.coordinator), { operatorKeys: keys }), operatorId };
}

const credits = (n: number) => `${n} credit${n === 1 ? '' : 's'}`;
const when = (ts: number) => new Date(ts).toISOString().replace(/\.\d{3}Z$/, 'Z');
const round = (n: number) => n.toFixed(2);

/** The standing for people: a few lines, then the latest slashes with their reasons. */
export function formatStanding(s: OperatorStandingView): string {
  const status = s.statusReason ? `${s.status} (${s.statusReason})` : s.status;
  const lines = [
    `operator    ${s.operatorId}`,
    `status      ${status}, ${s.connected ? 'connected' : `not connected, last seen ${when(s.lastSeenAt)}`}`,
    `stake       ${credits(s.stake)} (minimum ${s.minStake}; ${s.eligible ? 'eligible for work' : 'NOT eligible for work'})`,
    `unbonding   ${credits(s.unbonding)}${s.pendingWithdrawals.map((w) => `, ${w.amount} at ${when(w.availableAt)}`).join('')}`,
    `earnings    ${credits(s.earnings)}`,
    `slashes     ${s.slashes.count}, ${credits(s.slashes.total)} in all`,
  ];
  const r = s.reputation;
  lines.push(
    `reputation  score ${round(r.score)}, uptime ${round(r.uptime)}, lease completion ${round(r.leaseCompletion)}, ` +
      `agreement ${round(r.agreement)}, streak ${r.streak}, dissents ${round(r.dissents)}`,
    `health      ${r.health.degraded ? `degraded: ${r.health.reasons.join('; ')}` : 'ok'}`,
  );
  let text = `${lines.join('\n')}\n`;
  if (s.slashes.recent.length > 0) {
    text += `\nlatest slashes\n${table(
      ['when', 'credits', 'reason', 'task'],
      s.slashes.recent.map((x) => [when(x.ts), x.amount, x.reason, x.taskId ?? '']),
    )}`;
  }
  if (s.suspensions.length > 0) {
    text += `\nsuspensions\n${table(
      ['when', 'what', 'reason'],
      s.suspensions.map((x) => [when(x.ts), x.kind, x.reason ?? '']),
    )}`;
  }
  return text;
}
