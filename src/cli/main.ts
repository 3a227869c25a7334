#!/usr/bin/env node
/**
 * The `corten` command.
 */
import { Command } from 'commander';
import { agentsCommand } from './agents-command.js';
import { coordinatorCommand } from './coordinator-command.js';
import { demoCommand } from './demo-command.js';
import { euCommands } from './eu-commands.js';
import { faultyOperatorCommand } from './faulty-operator-command.js';
import { networkCommands } from './network-commands.js';
import { operatorCommand } from './operator-command.js';
import { simulateCommand } from './simulate-command.js';
import { taskCommands } from './task-commands.js';
import { workflowCommands } from './workflow-commands.js';
import { ledgerCommands } from './ledger-command.js';
import { receiptCommands } from './receipt-command.js';
import { trustCommands } from './trust-commands.js';
import { watchCommand } from './watch-command.js';
import { fail } from './output.js';

const program = new Command();
program
  .name('corten')
  .description('run AI workloads on independent operators, verified and fault-tolerant')
  .showHelpAfterError()
  // Options belong to the command they follow, so `operator status --key` is the status command's key.
  .enablePositionalOptions();

coordinatorCommand(program);
operatorCommand(program);
demoCommand(program);
agentsCommand(program);
simulateCommand(program);
faultyOperatorCommand(program);
euCommands(program);
taskCommands(program);
workflowCommands(program);
networkCommands(program);
trustCommands(program);
ledgerCommands(program);
receiptCommands(program);
watchCommand(program);

program.parseAsync(process.argv).catch(fail);
