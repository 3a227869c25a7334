/**
 * `corten operator webhook add|list|remove|deliveries --key FILE`: an
 * operator's alerts, managed with requests signed by its own key.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { WEBHOOK_KINDS, type WebhookKind } from '../protocol/index.js';
import { intOption, listOption } from './options.js';
import { ownerClient } from './operator-status-command.js';
import { printJson, printTable } from './output.js';

interface Common {
  key: string;
  coordinator?: string;
}

function kindsOption(value: string): WebhookKind[] {
  const kinds = listOption(value);
  const unknown = kinds.filter((k) => !(WEBHOOK_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown kind ${unknown.join(', ')}; the kinds are ${WEBHOOK_KINDS.join(', ')}`);
  return kinds as WebhookKind[];
}

function common(command: Command): Command {
  return command
    .requiredOption('--key <file>', "the operator's Ed25519 key file (requests are signed with it)")
    .option('--coordinator <url>', 'coordinator base URL (default $CORTEN_URL or http://127.0.0.1:7070)');
}

export function operatorWebhookCommands(operator: Command): void {
  const webhook = operator
    .command('webhook')
    .description(`alerts POSTed to your URL, HMAC-signed: ${WEBHOOK_KINDS.join(', ')}`);
  common(webhook.command('add <url>'))
    .description('register a webhook; prints its secret once (deliveries are signed with it)')
    .option('--kinds <list>', 'only these kinds (default: every kind)', kindsOption)
    .option('--description <text>', 'a label for people', '')
    .action(async (url: string, opts: Common & { kinds?: WebhookKind[]; description: string }) => {
      const { client, operatorId } = ownerClient(opts);
      const created = await client.registerWebhook(operatorId, {
        url,
        description: opts.description,
        ...(opts.kinds ? { kinds: opts.kinds } : {}),
      });
      printJson(created);
      process.stderr.write('keep the secret: it is not shown again, and it is what proves a delivery came from us\n');
    });
  common(webhook.command('list'))
    .description("the operator's webhooks")
    .action(async (opts: Common) => {
      const { client, operatorId } = ownerClient(opts);
      const list = await client.listWebhooks(operatorId);
      printTable(
        ['id', 'url', 'kinds', 'by'],
        list.map((w) => [w.id, w.url, w.kinds.join(','), w.createdBy]),
      );
    });
  common(webhook.command('remove <webhookId>'))
    .description('remove a webhook; its pending deliveries are given up, its log stays readable')
    .action(async (webhookId: string, opts: Common) => {
      const { client, operatorId } = ownerClient(opts);
      printJson(await client.removeWebhook(operatorId, webhookId));
    });
  common(webhook.command('deliveries <webhookId>'))
    .description("a webhook's latest deliveries, newest first, with every attempt")
    .option('--limit <n>', 'how many', intOption, 20)
    .option('--json', 'print them as JSON')
    .action(async (webhookId: string, opts: Common & { limit: number; json?: boolean }) => {
      const { client, operatorId } = ownerClient(opts);
      const deliveries = await client.listWebhookDeliveries(operatorId, webhookId, opts.limit);
      if (opts.json) return printJson(deliveries);
      printTable(
        ['created', 'kind', 'status', 'attempts', 'last answer'],
        deliveries.map((d) => {
          const last = d.log.at(-1);
          const answer = last ? (last.error ?? `HTTP ${last.statusCode}`) : '';
          return [new Date(d.createdAt).toISOString(), d.kind, d.status, d.attempts, answer];
        }),
      );
    });
}
