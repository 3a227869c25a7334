import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES } from '../../src/cli/command-modules.js';

describe('the CLI command table', () => {
  it('names exactly the top-level commands each module registers, each once', async () => {
    const all: string[] = [];
    for (const module of COMMAND_MODULES) {
      const program = new Command();
      (await module.load())(program);
      const registered = program.commands.map((c) => c.name());
      expect(registered.sort()).toEqual([...module.names].sort());
      all.push(...registered);
    }
    expect(new Set(all).size).toBe(all.length);
  });
});
