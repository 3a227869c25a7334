import type { Command } from 'commander';
import { pino } from 'pino';
import type { Executor } from '../operator/index.js';
import { createRuntime } from '../runtime/index.js';
import { AgentControl, AgentHost, CostModelExecutor, parseFaults } from '../sim/index.js';
import { intOption, listOption } from './options.js';

interface AgentsOptions {
  coordinator: string;
  count: number;
  regions: string[];
  maxConcurrent: number;
  executor: 'runtime' | 'cost';
  workers: number;
  costMedianMs: number;
  costSigma: number;
  fault?: string;
  firstIndex: number;
  control?: boolean;
  logLevel: string;
}

export function agentsCommand(program: Command): void {
  program
    .command('agents')
    .description('host many operator agents in one process (for simulation and benchmarks)')
    .requiredOption('--coordinator <url>', 'coordinator base URL, or several separated by commas')
    .option('--count <n>', 'agents to run', intOption, 50)
    .option('--regions <list>', 'regions, agents spread round-robin', listOption, ['local'])
    .option('--max-concurrent <n>', 'assignments each agent holds at once', intOption, 4)
    .option('--executor <kind>', 'runtime (the real sandbox) or cost (a cost model, no code run)', 'runtime')
    .option('--workers <n>', 'sandbox worker threads shared by the agents', intOption, 1)
    .option('--cost-median-ms <ms>', 'cost model: median execution time', intOption, 50)
    .option('--cost-sigma <s>', 'cost model: log-normal spread', Number, 0.5)
    .option(
      '--fault <spec>',
      'fault fixture for every agent: lie | collude | flip | lieRate=0.3 | slowMs=500 | lateMs=5000',
    )
    .option('--first-index <n>', 'global number of the first agent (several hosts in one simulation)', intOption, 0)
    .option('--control', 'take fault commands as JSON lines on stdin (the simulator drives faults this way)')
    .option('--log-level <level>', 'pino log level', 'warn')
    .action(async (opts: AgentsOptions) => {
      const log = pino({ level: opts.logLevel, base: { part: 'agents' } }, pino.destination(2));
      const executor: Executor =
        opts.executor === 'cost'
          ? new CostModelExecutor({ medianMs: opts.costMedianMs, sigma: opts.costSigma })
          : await createRuntime({ workers: opts.workers, capabilities: { nlp: false, embed: false } });
      const host = new AgentHost({
        coordinatorUrl: opts.coordinator,
        count: opts.count,
        regions: opts.regions,
        firstIndex: opts.firstIndex,
        maxConcurrent: opts.maxConcurrent,
        executor,
        log,
        ...(opts.fault ? { faults: parseFaults(opts.fault) } : {}),
      });
      // Parents (the simulator) read this line to map agent numbers to operator ids.
      process.stdout.write(`corten agents ids ${JSON.stringify(host.describe())}\n`);
      await host.start();
      process.stdout.write(`corten agents online ${host.agents.length}\n`);
      const control = new AgentControl(host);
      const stop = async () => {
        control.close();
        await host.stop();
        process.exit(0);
      };
      if (opts.control) {
        control.serve(process.stdin, (line) => process.stdout.write(`${line}\n`));
        // The simulator holds the other end: when it goes, so do we.
        process.stdin.on('end', () => void stop());
      }
      process.on('SIGTERM', () => void stop());
      process.on('SIGINT', () => void stop());
    });
}
