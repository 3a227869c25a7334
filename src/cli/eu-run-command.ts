/**
 * `corten eu run DIR`: runs an EU from its folder on this machine, in the
 * same sandbox and with the same host capabilities an operator gives it, with
 * no coordinator. One JSON line per input: the output or the failure code, the
 * output hash exact verification compares, and the measurements. It exits 1
 * when any input failed, so a script or a test can use it as a check.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CortenError, hashJson, outputHashOf } from '../protocol/index.js';
import { createRuntime, loadEuFolder } from '../runtime/index.js';

interface RunOptions {
  input?: string;
  file?: string;
  seed?: string;
  clock?: string;
  llmUrl?: string;
  llmModel?: string;
  llmApiKey?: string;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CortenError('MALFORMED_JSON', `${where} is not valid JSON`, { cause });
  }
}

async function inputsOf(opts: RunOptions): Promise<unknown[]> {
  if (opts.input !== undefined && opts.file !== undefined)
    throw new CortenError('VALIDATION_FAILED', 'give --input or --file, not both');
  if (opts.input !== undefined) return [parseJson(opts.input, '--input')];
  if (opts.file === undefined) throw new CortenError('VALIDATION_FAILED', 'give an input: --input JSON or --file FILE');
  const lines = (await readFile(opts.file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return lines.map((line, i) => parseJson(line, `${opts.file}:${i + 1}`));
}

export function euRunCommand(eu: Command): void {
  eu.command('run <dir>')
    .description('run the EU in a folder locally, in the sandbox, on one input or a JSON-lines file; no coordinator')
    .option('--input <json>', 'one input, as JSON')
    .option('--file <path>', 'inputs, one JSON value a line')
    .option('--seed <hex>', "Math.random's seed (default: from the input's hash, as stable as a task's)")
    .option('--clock <ms>', "what the EU's Date shows, ms since epoch (default: now)")
    .option('--llm-url <url>', 'OpenAI-compatible backend for llm.complete')
    .option('--llm-model <name>', 'model name to request from the LLM backend')
    .option('--llm-api-key <key>', 'API key for the LLM backend, if it wants one')
    .action(async (dir: string, opts: RunOptions) => {
      const pkg = await loadEuFolder(dir);
      const inputs = await inputsOf(opts);
      const runtime = await createRuntime({
        workers: 1,
        capabilities:
          opts.llmUrl && opts.llmModel
            ? {
                llm: {
                  baseUrl: opts.llmUrl,
                  model: opts.llmModel,
                  ...(opts.llmApiKey ? { apiKey: opts.llmApiKey } : {}),
                },
              }
            : {},
      });
      for (const { capability, reason } of runtime.unavailable) {
        process.stderr.write(`corten: capability ${capability} is off: ${reason}\n`);
      }
      let failed = 0;
      try {
        for (const input of inputs) {
          const seed = opts.seed ?? hashJson(input).slice(0, 32);
          const clock = opts.clock === undefined ? Date.now() : Number(opts.clock);
          const outcome = await runtime.execute({ eu: pkg, input, seed, clock });
          if (!outcome.ok) failed += 1;
          const outputHash = outputHashOf(outcome.ok ? { output: outcome.output } : { error: outcome.error });
          process.stdout.write(`${JSON.stringify({ ...outcome, outputHash })}\n`);
        }
      } finally {
        await runtime.close();
      }
      process.stderr.write(
        `corten: ${pkg.manifest.name}@${pkg.manifest.version} ran ${inputs.length}, failed ${failed}\n`,
      );
      process.exitCode = failed > 0 ? 1 : 0;
    });
}
