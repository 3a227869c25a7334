import type { Command } from 'commander';
import { pino } from 'pino';
import { Coordinator } from '../coordinator/index.js';
import { intOption, listOption } from './options.js';
import { trustOptions, trustConfig, type TrustOptions } from './trust-options.js';

export function coordinatorCommand(program: Command): void {
  const command = program
    .command('coordinator')
    .description('run a coordinator: HTTP API, operator gateway, scheduler, verifier')
    .option('--port <port>', 'port to listen on (0 picks a free one)', intOption, 7070)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'data folder (SQLite database)', '.data/coordinator')
    .option(
      '--store <url>',
      'postgres://user@host:port/database[?schema=name]: keep the state in PostgreSQL, shared by several coordinators ' +
        '(default: SQLite in --data)',
    )
    .option('--leader-lease-ms <ms>', 'PostgreSQL: how long the leader lease lasts without renewal', intOption, 3000)
    .option('--heartbeat-ms <ms>', 'operator heartbeat interval', intOption, 500)
    .option('--miss-threshold <n>', 'missed heartbeats before an operator is offline', intOption, 3)
    .option('--lease-grace-ms <ms>', 'slack added to an EU timeout to make its lease', intOption, 2000)
    .option('--no-builtin-eus', 'do not publish the built-in EUs at start')
    .option('--allow-anonymous', 'let requests without an API key submit to free EUs (off by default)', false)
    .option(
      '--openai-rate-limit <n>',
      'requests a minute each key may make to the OpenAI-compatible routes (0: no limit)',
      intOption,
      120,
    )
    .option(
      '--webhook-hosts <list>',
      "hosts operators' webhooks may call (example.com, *.example.com); default: any",
      listOption,
    )
    .option('--webhook-timeout-ms <ms>', 'how long one webhook delivery attempt may take', intOption, 5000)
    .option(
      '--webhook-retry-ms <ms>',
      'wait before the first retry of a delivery; it doubles each time',
      intOption,
      5000,
    )
    .option('--log-level <level>', 'pino log level', 'info');
  trustOptions(command);
  command.action(
    async (
      opts: TrustOptions & {
        port: number;
        host: string;
        data: string;
        store?: string;
        leaderLeaseMs: number;
        heartbeatMs: number;
        missThreshold: number;
        leaseGraceMs: number;
        builtinEus: boolean;
        allowAnonymous: boolean;
        openaiRateLimit: number;
        webhookHosts?: string[];
        webhookTimeoutMs: number;
        webhookRetryMs: number;
        logLevel: string;
      },
    ) => {
      const coordinator = new Coordinator(
        {
          ...trustConfig(opts),
          port: opts.port,
          host: opts.host,
          dataDir: opts.data,
          storeUrl: opts.store ?? null,
          leaderLeaseMs: opts.leaderLeaseMs,
          leaderRenewMs: Math.max(50, Math.floor(opts.leaderLeaseMs / 3)),
          heartbeatIntervalMs: opts.heartbeatMs,
          heartbeatMissThreshold: opts.missThreshold,
          leaseGraceMs: opts.leaseGraceMs,
          publishBuiltinEus: opts.builtinEus,
          allowAnonymous: opts.allowAnonymous,
          openaiRequestsPerMinute: opts.openaiRateLimit,
          webhookAllowedHosts: opts.webhookHosts ?? null,
          webhookTimeoutMs: opts.webhookTimeoutMs,
          webhookRetryBaseMs: opts.webhookRetryMs,
          logLevel: opts.logLevel,
        },
        pino({ level: opts.logLevel, base: { part: 'coordinator' } }, pino.destination(2)),
      );
      // Parents (tests, benches) follow leadership by these lines.
      coordinator.onRole = (role) =>
        process.stdout.write(
          role.role === 'leader'
            ? `corten coordinator leader epoch ${role.epoch}\n`
            : `corten coordinator follower: ${role.reason}\n`,
        );
      const url = await coordinator.start();
      // Parents (tests, the demo) read this line to learn the port.
      process.stdout.write(`corten coordinator listening on ${url}\n`);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await coordinator.stop();
        // 0 for a signal; the coordinator sets 1 when it stopped itself after a storage failure.
        process.exit();
      };
      process.on('SIGTERM', () => void stop());
      process.on('SIGINT', () => void stop());
    },
  );
}
