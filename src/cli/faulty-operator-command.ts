/**
 * `corten faulty-operator`: a hidden development command, the operator
 * process with fault fixtures. It runs the real agent inside the simulator's
 * fault wrappers (sim/faulty-agent.ts), so tests can start a real operator
 * process that lies, colludes or answers late; `corten operator` has no such
 * option.
 */
import type { Command } from 'commander';
import { FaultyAgent, parseFaults } from '../sim/index.js';
import { operatorOptions, runOperator, type OperatorOptions } from './operator-command.js';

export function faultyOperatorCommand(program: Command): void {
  operatorOptions(program.command('faulty-operator', { hidden: true }))
    .description('an operator agent in fault wrappers, for tests and benchmarks')
    .requiredOption('--fault <spec>', 'fault fixtures: lie | collude | flip | lieRate=0.3 | slowMs=500 | lateMs=5000')
    .action((opts: OperatorOptions & { fault: string }) => {
      const faults = parseFaults(opts.fault);
      return runOperator(opts, (options) => new FaultyAgent(options, faults).agent);
    });
}
