/**
 * The CLI's commands, by module, with the top-level names each registers, so
 * `main.ts` can load only the one a process runs. `test/unit/cli-modules.test.ts`
 * checks the names against what each module registers.
 */
import type { Command } from 'commander';

export interface CommandModule {
  /** The top-level commands the module adds to the program. */
  readonly names: readonly string[];
  readonly load: () => Promise<(program: Command) => void>;
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['coordinator'], load: async () => (await import('./coordinator-command.js')).coordinatorCommand },
  { names: ['operator'], load: async () => (await import('./operator-command.js')).operatorCommand },
  { names: ['demo'], load: async () => (await import('./demo-command.js')).demoCommand },
  { names: ['agents'], load: async () => (await import('./agents-command.js')).agentsCommand },
  { names: ['simulate'], load: async () => (await import('./simulate-command.js')).simulateCommand },
  {
    names: ['faulty-operator'],
    load: async () => (await import('./faulty-operator-command.js')).faultyOperatorCommand,
  },
  { names: ['eu'], load: async () => (await import('./eu-commands.js')).euCommands },
  { names: ['task'], load: async () => (await import('./task-commands.js')).taskCommands },
  { names: ['workflow', 'job'], load: async () => (await import('./workflow-commands.js')).workflowCommands },
  {
    names: ['operators', 'region', 'events'],
    load: async () => (await import('./network-commands.js')).networkCommands,
  },
  {
    names: ['account', 'stake', 'reputation'],
    load: async () => (await import('./trust-commands.js')).trustCommands,
  },
  { names: ['ledger'], load: async () => (await import('./ledger-command.js')).ledgerCommands },
  { names: ['receipt'], load: async () => (await import('./receipt-command.js')).receiptCommands },
  { names: ['watch'], load: async () => (await import('./watch-command.js')).watchCommand },
];
