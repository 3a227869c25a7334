import type { Command } from 'commander';
import { pino } from 'pino';
import { Agent, AgentMetrics, portOf, serveAgentMetrics, type AgentOptions } from '../operator/index.js';
import { identityId, loadOrCreateKeyFile, type OperatorResources } from '../protocol/index.js';
import { createRuntime, detectResources } from '../runtime/index.js';
import { intOption, listOption } from './options.js';
import { operatorStatusCommand } from './operator-status-command.js';
import { operatorWebhookCommands } from './operator-webhook-commands.js';

export interface OperatorOptions {
  coordinator: string;
  region: string;
  key: string;
  maxConcurrent?: number;
  workers?: number;
  cpu?: number;
  memoryMb?: number;
  gpuMemoryMb?: number;
  capabilities?: string[];
  eus?: string[];
  llmUrl?: string;
  llmModel?: string;
  llmApiKey?: string;
  metricsPort?: number;
  logLevel: string;
}

/**
 * Builds the agent from its options; the default is the real one. The
 * simulator's faulty operator (faulty-operator-command.ts) builds it inside
 * fault wrappers instead.
 */
export type MakeAgent = (options: AgentOptions) => Agent;

export function operatorCommand(program: Command): void {
  // Its options are checked by hand: required ones would be demanded of `operator status` too.
  const operator = operatorOptions(program.command('operator'), false)
    .description('run an operator agent: connect to a coordinator and run the work it pushes')
    .action((opts: OperatorOptions) => {
      for (const [name, value] of [
        ['--coordinator <url>', opts.coordinator],
        ['--region <region>', opts.region],
        ['--key <file>', opts.key],
      ] as const) {
        if (!value) operator.error(`error: required option '${name}' not specified`);
      }
      return runOperator(opts);
    });
  operatorStatusCommand(operator);
  operatorWebhookCommands(operator);
}

/** The operator's options, on `command`; `required` marks the ones it cannot run without. */
export function operatorOptions(command: Command, required = true): Command {
  const need = (flags: string, description: string) =>
    required ? command.requiredOption(flags, description) : command.option(flags, `${description} (required)`);
  need('--coordinator <url>', 'coordinator base URL, e.g. http://127.0.0.1:7070, or several separated by commas');
  need('--region <region>', 'region this machine is in, e.g. eu-west');
  need('--key <file>', 'Ed25519 key file (created on first start)');
  return command
    .option('--max-concurrent <n>', 'most assignments held at once (default: cpu cores)', intOption)
    .option('--workers <n>', 'sandbox worker threads (default: cpu cores)', intOption)
    .option('--cpu <cores>', 'override detected cpu cores', intOption)
    .option('--memory-mb <mb>', 'override detected memory', intOption)
    .option('--gpu-memory-mb <mb>', 'override detected GPU memory', intOption)
    .option(
      '--capabilities <list>',
      'host capabilities to offer (default: every one that passes its probe)',
      listOption,
    )
    .option('--eus <list>', 'serve only these EU names', listOption)
    .option('--llm-url <url>', 'OpenAI-compatible backend for llm.complete (llama.cpp server, Ollama, vLLM)')
    .option('--llm-model <name>', 'model name to request from the LLM backend')
    .option('--llm-api-key <key>', 'API key for the LLM backend, if it wants one')
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics on 127.0.0.1:<port>/metrics (0 picks a free port)',
      intOption,
    )
    .option('--log-level <level>', 'pino log level', 'info');
}

/** Runs an operator until SIGTERM or SIGINT, then drains. */
export async function runOperator(
  opts: OperatorOptions,
  makeAgent: MakeAgent = (options) => new Agent(options),
): Promise<void> {
  const { keys, created } = loadOrCreateKeyFile(opts.key);
  const operatorId = identityId('op', keys.publicKey.toString('hex'));
  const log = pino(
    { level: opts.logLevel, base: { part: 'operator', region: opts.region, operatorId } },
    pino.destination(2),
  );
  const detected = await detectResources();
  const cpu = opts.cpu ?? detected.cpu;
  const capabilityConfig: Parameters<typeof createRuntime>[0] = {
    workers: opts.workers ?? Math.max(1, Math.min(cpu, detected.cpu)),
    capabilities: {
      nlp: !opts.capabilities || opts.capabilities.includes('nlp'),
      embed: !opts.capabilities || opts.capabilities.includes('embed.text'),
      ...(opts.llmUrl && opts.llmModel
        ? { llm: { baseUrl: opts.llmUrl, model: opts.llmModel, ...(opts.llmApiKey ? { apiKey: opts.llmApiKey } : {}) } }
        : {}),
    },
  };
  const runtime = await createRuntime(capabilityConfig);
  // A configured capability that failed its probe is not advertised; say so, or it just disappears.
  for (const { capability, reason } of runtime.unavailable) {
    log.warn({ capability, reason }, `capability ${capability} is off: ${reason}`);
  }
  const resources: OperatorResources = {
    cpu,
    memoryMb: opts.memoryMb ?? detected.memoryMb,
    gpuMemoryMb: opts.gpuMemoryMb ?? detected.gpuMemoryMb,
    capabilities: runtime.capabilities,
    eus: opts.eus ?? [],
  };
  const agent = makeAgent({
    coordinatorUrl: opts.coordinator,
    keys,
    region: opts.region,
    resources,
    maxConcurrent: opts.maxConcurrent ?? cpu,
    executor: runtime,
    log,
  });
  log.info({ operatorId: agent.id, newKey: created, resources }, 'operator starting');
  if (opts.metricsPort !== undefined) {
    const server = await serveAgentMetrics(new AgentMetrics(agent), opts.metricsPort);
    const url = `http://127.0.0.1:${portOf(server)}/metrics`;
    log.info({ url }, 'serving metrics');
    // Parents (tests) read this line to learn the port when it was 0.
    process.stdout.write(`corten operator metrics on ${url}\n`);
  }
  agent.on('welcome', () => {
    // Parents (tests, the demo) read this line to know the operator is in.
    process.stdout.write(`corten operator ${agent.id} online in ${opts.region}\n`);
  });
  void agent.start();
  let stopping = false;
  const drainAndExit = async () => {
    if (stopping) return;
    stopping = true;
    log.info('draining: finishing held work, taking no more');
    await agent.drain();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void drainAndExit());
  process.on('SIGINT', () => void drainAndExit());
}
