/**
 * Runtime benchmark: how many articles per second one operator (one runtime
 * with its default worker count) summarizes with `news-summarize`, and what
 * the sandbox costs compared with running the same EU code directly in Node
 * with the same host functions (no QuickJS, no JSON crossing, no worker).
 * Also the trivial `double` EU's executions per second, the sandbox's floor.
 *
 * Figures only; nothing passes or fails. `node dist/bench/runtime-bench.js`
 * runs it alone; `npm run bench -- runtime` runs it among the others.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/eus/index.js';
import { NlpCapability } from '../src/runtime/capabilities/nlp-capability.js';
import { loadWink } from '../src/runtime/capabilities/wink.js';
import { createRuntime, loadEuFolder } from '../src/runtime/index.js';
import type { EuPackage } from '../src/protocol/index.js';
import { loadArticles, type Article } from './eval-summarize.js';

/** Passes over the 60 articles in each timed run. */
const ROUNDS = 10;
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

async function sandboxSequential(eu: EuPackage, inputs: unknown[]): Promise<{ ms: number; cpuMs: number }> {
  const runtime = await createRuntime({ workers: 1 });
  try {
    for (const input of inputs) await runtime.execute({ eu, input, seed: '00', clock: 0 });
    let cpuMs = 0;
    const started = performance.now();
    for (let r = 0; r < 3; r++) {
      for (const input of inputs)
        cpuMs += (await runtime.execute({ eu, input, seed: '00', clock: 0 })).metrics.cpuMs ?? 0;
    }
    return { ms: (performance.now() - started) / (3 * inputs.length), cpuMs: cpuMs / (3 * inputs.length) };
  } finally {
    await runtime.close();
  }
}

function directMsPerArticle(run: RunFn, inputs: unknown[]): number {
  const nlp = new NlpCapability(loadWink());
  const host = {
    nlp: {
      sentences: (text: unknown) => nlp.sentences(text),
      tokens: (text: unknown) => nlp.tokens(text),
      sentiment: (text: unknown) => nlp.sentiment(text),
      keywords: (text: unknown, n?: unknown) => nlp.keywords(text, n),
      entities: (text: unknown) => nlp.entities(text),
    },
  };
  for (const input of inputs) run(input, host);
  const started = performance.now();
  for (let r = 0; r < 3; r++) for (const input of inputs) run(input, host);
  return (performance.now() - started) / (3 * inputs.length);
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
  const sandbox = await sandboxSequential(eu, inputs);
  const directMs = directMsPerArticle(run, inputs);
  print(
    `  one article at a time, one worker: sandbox ${sandbox.ms.toFixed(2)} ms per article (${sandbox.cpuMs.toFixed(2)} ms of it running in QuickJS and host calls), direct in Node ${directMs.toFixed(2)} ms`,
  );
  print(
    `  sandbox overhead: ×${(sandbox.ms / directMs).toFixed(2)} end to end, ×${(sandbox.cpuMs / directMs).toFixed(2)} for the execution alone`,
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
  return { overhead: sandbox.ms / directMs };
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
