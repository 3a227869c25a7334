/** Runs the built `corten` CLI as a separate process and collects what it printed. */
import { spawn } from 'node:child_process';
import { cliPath } from '../../src/sim/index.js';

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running CLI command (`events --follow`, `task wait`): its stdout lines as they come, its stderr, its exit. */
export interface CliProcess {
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves once `count` stdout lines match; rejects if the command exits first. */
  waitForLines(predicate: (line: string) => boolean, count?: number): Promise<void>;
  /** Resolves once stderr contains `text`. */
  waitForStderr(text: string): Promise<void>;
  signal(signal: NodeJS.Signals): void;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [cliPath(), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  child.stdout.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) {
      if (!w.check()) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const stderrWaiters: { text: string; resolve: () => void }[] = [];
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...stderrWaiters]) {
      if (!stderr.includes(w.text)) continue;
      stderrWaiters.splice(stderrWaiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    lines,
    stderr: () => stderr,
    exited,
    waitForLines(predicate, count = 1) {
      const check = () => lines.filter(predicate).length >= count;
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ check, resolve });
        void exited.then((code) => {
          if (!check())
            reject(
              new Error(`corten ${args.join(' ')} exited (${code}) before printing the lines awaited:\n${stderr}`),
            );
        });
      });
    },
    waitForStderr(text) {
      if (stderr.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        stderrWaiters.push({ text, resolve });
        void exited.then((code) => {
          if (!stderr.includes(text))
            reject(new Error(`corten ${args.join(' ')} exited (${code}) before saying "${text}"`));
        });
      });
    },
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
