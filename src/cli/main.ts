#!/usr/bin/env node
/**
 * The `corten` command.
 */
import { Command } from 'commander';
import { fail } from './output.js';
import { COMMAND_MODULES, type CommandModule } from './command-modules.js';

const program = new Command();
program
  .name('corten')
  .description('run AI workloads on independent operators, verified and fault-tolerant')
  .showHelpAfterError()
  // Options belong to the command they follow, so `operator status --key` is the status command's key.
  .enablePositionalOptions();

// A process loads only the command it runs: an operator does not load the coordinator, fastify or the simulator,
// which halves its start-up. Help, and a name no module claims, load them all.
const named = process.argv[2];
const only = COMMAND_MODULES.filter((m) => named !== undefined && m.names.includes(named));
const modules: readonly CommandModule[] = only.length > 0 ? only : COMMAND_MODULES;
for (const register of await Promise.all(modules.map((m) => m.load()))) register(program);

program.parseAsync(process.argv).catch(fail);
