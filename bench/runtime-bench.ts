/**
 * Runtime benchmark: how many articles per second one operator (one runtime
 * with its default worker count) summarizes with `news-summarize`, and what
 * the sandbox costs compared with running the same EU code directly in Node
 * with the same host functions (no QuickJS, no JSON crossing, no worker).
 * Also the trivial `double` EU's executions per second, the sandbox's floor.
 *
 * The overhead compares like with like: the same 60 articles, one at a
 * time, in passes that alternate between the sandbox (a runtime of one
 * worker) and the direct run (on the main thread, calling the same host
 * services, `HostServices.call`, the dispatcher the sandbox's host calls
 * reach, with the same arguments), after one untimed pass of each. Each
 * thread has its own cache of wink-nlp analyses, too small for 60 articles,
 * so both analyze every article every time. The ratio is of the process's
 * CPU time per article (all threads: the sandbox's pays for the worker, the
 * main thread's messages, and schema checks of input and output), in the
 * pass of each that used the least, which a machine loaded by other work
 * disturbs far less than wall-clock time; the wall-clock ratio of those
 * passes is printed beside it.
 *
 * Figures only; nothing passes or fails. `node dist/bench/runtime-bench.js`
 * runs it alone; `npm run bench -- runtime` runs it among the others.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/eus/index.js';
import { HOST_API } from '../src/runtime/capabilities/capability-config.js';
import { HostServices } from '../src/runtime/capabilities/host-services.js';
import { createRuntime, loadEuFolder } from '../src/runtime/index.js';
import type { EuPackage } from '../src/protocol/index.js';
import { loadArticles, type Article } from './eval-summarize.js';
import { ownCpuSeconds } from './support.js';

/** Passes over the 60 articles in each timed run. */
const ROUNDS = 10;
/** Timed passes over the articles, one at a time, in the sandbox and directly (alternating), for the overhead. */
const SEQUENTIAL_ROUNDS = 9;
const DOUBLE_EXECUTIONS = 20_000;

type RunFn = (input: unknown, host: unknown) => unknown;

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function inputOf(article: Article): { title: string; text: string } {
  return { title: article.title, text: article.text };
}

async function sandboxThroughput(
  eu: EuPackage,
  inputs: unknown[],
  rounds: number,
): Promise<{ perSecond: number; workers: number; cpuMs: number }> {
  const runtime = await createRuntime();
  try {
    for (const input of inputs) await runtime.execute({ eu, input, seed: '00', clock: 0 });
    const started = performance.now();
    let cpuMs = 0;
    const all: Promise<void>[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const input of inputs) {
        all.push(
          runtime.execute({ eu, input, seed: '00', clock: 0 }).then((outcome) => {
            if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
            cpuMs += outcome.metrics.cpuMs ?? 0;
          }),
        );
      }
    }
    await Promise.all(all);
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: all.length / seconds, workers: runtime.pool.workerCount, cpuMs: cpuMs / all.length };
  } finally {
    await runtime.close();
  }
}

/** One pass over the articles, one at a time: wall-clock and process CPU time per article, in ms. */
interface Pass {
  ms: number;
  cpuMs: number;
}

/** Times `body`, which handles `count` articles. */
async function timePass(count: number, body: () => Promise<void> | void): Promise<Pass> {
  const startedCpu = ownCpuSeconds();
  const started = performance.now();
  await body();
  return { ms: (performance.now() - started) / count, cpuMs: (1000 * (ownCpuSeconds() - startedCpu)) / count };
}

/** The pass with the least CPU time: the one the rest of the machine disturbed least. */
function leastCpu(passes: Pass[]): Pass {
  return passes.reduce((best, pass) => (pass.cpuMs < best.cpuMs ? pass : best));
}

/**
 * Alternates passes in the sandbox (a runtime of one worker) and passes of
 * the EU's `run` on the main thread, its `host.nlp` calling the same host
 * services as the sandbox's; gives the least disturbed pass of each.
 */
async function sandboxAgainstDirect(
  eu: EuPackage,
  run: RunFn,
  inputs: unknown[],
): Promise<{ sandbox: Pass; direct: Pass }> {
  const { services } = HostServices.start({ embed: false }, false);
  const nlp: Record<string, (...args: unknown[]) => unknown> = {};
  for (const method of HOST_API.nlp.methods) nlp[method] = (...args) => services.call(`nlp.${method}`, args);
  const host = { nlp };
  const runtime = await createRuntime({ workers: 1 });
  try {
    const inSandbox = async (): Promise<void> => {
      for (const input of inputs) {
        const outcome = await runtime.execute({ eu, input, seed: '00', clock: 0 });
        if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      }
    };
    const direct = (): void => {
      for (const input of inputs) run(input, host);
    };
    await inSandbox();
    direct();
    const sandboxPasses: Pass[] = [];
    const directPasses: Pass[] = [];
    for (let r = 0; r < SEQUENTIAL_ROUNDS; r++) {
      sandboxPasses.push(await timePass(inputs.length, inSandbox));
      directPasses.push(await timePass(inputs.length, direct));
    }
    return { sandbox: leastCpu(sandboxPasses), direct: leastCpu(directPasses) };
  } finally {
    await runtime.close();
  }
}

/** Prints articles/s, sandbox overhead, and the trivial EU's executions/s. */
export async function runtimeBench(): Promise<{ overhead: number }> {
  print('\n== runtime: news-summarize in the sandbox ==');
  const articles = loadArticles();
  const inputs = articles.map(inputOf);
  const euDir = join(packageRoot(), 'src', 'eus', 'news-summarize');
  const eu = await loadEuFolder(euDir);
  const { run } = (await import(pathToFileURL(join(euDir, 'main.js')).href)) as { run: RunFn };

  const throughput = await sandboxThroughput(eu, inputs, ROUNDS);
  print(
    `  one runtime, ${throughput.workers} workers: ${throughput.perSecond.toFixed(0)} articles/s (${articles.length * ROUNDS} summaries of ${articles.length} BBC articles)`,
  );
  const { sandbox, direct } = await sandboxAgainstDirect(eu, run, inputs);
  print(
    `  one article at a time, one worker: sandbox ${sandbox.cpuMs.toFixed(2)} ms of CPU per article ` +
      `(${sandbox.ms.toFixed(2)} ms wall-clock), direct in Node ${direct.cpuMs.toFixed(2)} ms of CPU ` +
      `(${direct.ms.toFixed(2)} ms wall-clock); the least disturbed of ${SEQUENTIAL_ROUNDS} alternating passes each`,
  );
  const overhead = sandbox.cpuMs / direct.cpuMs;
  print(
    `  sandbox overhead: ×${overhead.toFixed(2)} in CPU per article (×${(sandbox.ms / direct.ms).toFixed(2)} wall-clock)`,
  );

  const double = await loadEuFolder(join(packageRoot(), 'src', 'eus', 'double'));
  const trivial = await sandboxThroughput(
    double,
    Array.from({ length: DOUBLE_EXECUTIONS / ROUNDS }, (_, i) => ({ x: i })),
    ROUNDS,
  );
  print(
    `  trivial EU (double): ${trivial.perSecond.toFixed(0)} executions/s on ${trivial.workers} workers, ${(trivial.cpuMs * 1000).toFixed(0)} µs each inside the worker`,
  );
  return { overhead };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runtimeBench().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`runtime bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
