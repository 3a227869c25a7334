/**
 * One warm sandbox for one EU: a QuickJS runtime and context, locked down by
 * the prelude, with the EU's `host` object built in. Tasks of that EU run in
 * it one at a time; each task evaluates the entry module afresh under a
 * unique module name (so module-level state never outlives its task) after
 * the PRNG, clock and input are set — unless the package's modules can hold
 * no state (see shared-modules.ts): then the first task evaluates them once,
 * the prelude checks and freezes them, and every task calls the same `run`.
 * A package that fails that check is remembered and runs the usual way; the
 * context that tried is retired after its task.
 *
 * A task's life:
 *
 *   begin → evaluate module → execute run → drain jobs ─┬─ reported → done
 *                                                      ├─ waiting on host calls → (reply → drain jobs …)
 *                                                      └─ nothing left to run → EU_STALLED
 *
 * A task whose `run` returns a plain value reports from `execute` itself and
 * leaves no job: it completes within `run()`, which then returns its result
 * rather than a promise — three calls into QuickJS (begin, evaluate,
 * execute; see task-calls.ts) and a look at the job queue, nothing
 * asynchronous.
 *
 * CPU time is counted only while QuickJS (or a synchronous host call it made)
 * runs — in "segments", measured as elapsed time since Node 20 has no
 * per-thread CPU clock — and the interrupt handler stops the task when its
 * budget is spent. Time spent waiting on asynchronous host calls (an LLM
 * completion) counts against the wall clock instead, through a timer set when
 * the task first waits. Either way the task ends as EU_TIMEOUT.
 *
 * The context is reused only after a clean task: it is poisoned (and must be
 * disposed) by a timeout, out-of-memory, stack overflow, an exception the
 * prelude could not catch, or a task that left jobs or host calls behind.
 */
import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import type { EuPackage } from '../../protocol/index.js';
import { CortenError } from '../../protocol/index.js';
import { HOST_API, offeredCapabilities, type HostCapability } from '../capabilities/capability-config.js';
import type { HostServices } from '../capabilities/host-services.js';
import { CONTEXT_POISONING_CODES, type ExecutionErrorCode } from '../execution-codes.js';
import { classifyFault } from './fault-classifier.js';
import { PackageModules } from './package-modules.js';
import { parseReport, PRELUDE_SOURCE, REPORT, type Reported } from './prelude-source.js';
import { planSharedModules, type SharedPlan } from './shared-modules.js';
import { directCalls, HandleCalls, type TaskCalls } from './task-calls.js';

export interface SandboxLimits {
  memoryBytes: number;
  stackBytes: number;
}

export interface SandboxTask {
  /** The input as JSON text (already validated). */
  inputText: string;
  seedWords: readonly [number, number, number, number];
  clock: number;
  /** CPU and wall-clock budget, in ms. */
  budgetMs: number;
}

export type SandboxResult =
  | { ok: true; outputText: string; cpuMs: number }
  | { ok: false; code: ExecutionErrorCode; message: string; cpuMs: number };

interface TaskState {
  number: number;
  budgetMs: number;
  cpuMs: number;
  /** performance.now() when the current segment began, or -1 outside segments. */
  segmentStart: number;
  interrupted: boolean;
  forbiddenImport: string | undefined;
  reported: Reported | undefined;
  /** Asynchronous host calls made so far. */
  asyncCalls: number;
  /** Host calls awaiting their reply; created on the first one. */
  outstanding: Set<QuickJSDeferredPromise> | undefined;
  /** Aborts those host calls when the task ends first; created with them. */
  abort: AbortController | undefined;
  finished: boolean;
  resolve: ((result: SandboxResult) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  startedAt: number;
}

const ERROR_NAME = /^[A-Za-z]*Error$/;
/** Asynchronous host calls (LLM completions) one execution may make: enough for multi-step prompting, not for flooding
 * the operator's backend. */
const MAX_ASYNC_HOST_CALLS = 64;
const MAX_ASYNC_HOST_CALLS_IN_FLIGHT = 8;
/** The module that imports every shared module, by a name no package file can have (`!` cannot begin a path). */
const SHARED_ROOT = '!shared';

/** Each package's shared-module plan, or null when its modules are evaluated for every task. */
const sharedPlans = new WeakMap<EuPackage, SharedPlan | null>();

function sharedPlanFor(pkg: EuPackage): SharedPlan | undefined {
  let plan = sharedPlans.get(pkg);
  if (plan === undefined) {
    plan = planSharedModules(pkg.files, pkg.manifest.entry) ?? null;
    sharedPlans.set(pkg, plan);
  }
  return plan ?? undefined;
}

export class EuContext {
  /** Tasks started in this context. */
  tasksRun = 0;
  /** True once the context must not run another task. */
  poisoned = false;
  private readonly runtime: QuickJSRuntime;
  private readonly context!: QuickJSContext;
  private readonly begin!: QuickJSHandle;
  private readonly execute!: QuickJSHandle;
  private readonly seal!: QuickJSHandle;
  /** The package's shared-module plan until it is tried, then the shared entry namespace, or undefined when none. */
  private shared: SharedPlan | QuickJSHandle | undefined;
  /** How `begin` and `execute` are called. */
  private readonly calls!: TaskCalls;
  private task: TaskState | undefined;
  /** Set when the context must not run another task once this one is done (its shared modules failed their check). */
  private retire = false;

  constructor(
    quickjs: QuickJSWASMModule,
    private readonly pkg: EuPackage,
    private readonly services: HostServices,
    limits: SandboxLimits,
  ) {
    this.runtime = quickjs.newRuntime();
    try {
      this.runtime.setMemoryLimit(limits.memoryBytes);
      this.runtime.setMaxStackSize(limits.stackBytes);
      this.runtime.setInterruptHandler(() => this.shouldInterrupt());
      this.shared = sharedPlanFor(pkg);
      const modules = new PackageModules(
        pkg.files,
        (specifier) => {
          if (this.task !== undefined) this.task.forbiddenImport ??= specifier;
        },
        this.shared,
      );
      this.runtime.setModuleLoader(
        (name) => modules.load(name),
        (base, requested) => modules.resolve(base, requested),
      );
      this.context = this.runtime.newContext();
      [this.begin, this.execute, this.seal] = this.bootstrap(
        offeredCapabilities(pkg.manifest.requirements.capabilities, services.capabilities),
      );
      const source = pkg.files[pkg.manifest.entry] ?? '';
      this.calls =
        directCalls(this.context, this.begin, this.execute, source) ??
        new HandleCalls(this.context, this.begin, this.execute, source);
    } catch (error) {
      // Only an exhausted or broken QuickJS heap fails here; the worker exits
      // on this error (see worker-main), so a failed cleanup costs nothing.
      try {
        (this.context as QuickJSContext | undefined)?.dispose();
        this.runtime.dispose();
      } catch {
        // The heap is beyond repair; the worker is replaced.
      }
      throw error;
    }
  }

  /** Evaluates the prelude with the host callbacks; returns its privileged `begin`, `execute` and `seal`. */
  private bootstrap(capabilities: HostCapability[]): [QuickJSHandle, QuickJSHandle, QuickJSHandle] {
    const ctx = this.context;
    const spec = capabilities.map((capability) => ({ capability, ...HOST_API[capability] }));
    const bootstrap = ctx.unwrapResult(ctx.evalCode(PRELUDE_SOURCE, 'corten:prelude'));
    const hostCall = ctx.newFunction('hostCall', (name, args) =>
      this.hostCall(ctx.getString(name), ctx.getString(args)),
    );
    const hostCallAsync = ctx.newFunction('hostCallAsync', (name, args) =>
      this.hostCallAsync(ctx.getString(name), ctx.getString(args)),
    );
    const report = ctx.newFunction('report', (text) => {
      this.onReport(ctx.getString(text));
    });
    const specText = ctx.newString(JSON.stringify(spec));
    const privileged = ctx.unwrapResult(
      ctx.callFunction(bootstrap, ctx.undefined, hostCall, hostCallAsync, report, specText),
    );
    const handles: [QuickJSHandle, QuickJSHandle, QuickJSHandle] = [
      ctx.getProp(privileged, 'begin'),
      ctx.getProp(privileged, 'execute'),
      ctx.getProp(privileged, 'seal'),
    ];
    for (const handle of [bootstrap, hostCall, hostCallAsync, report, specText, privileged]) handle.dispose();
    return handles;
  }

  /** Bytes QuickJS has allocated in this context's runtime (costs ~35 µs: sample it). */
  memoryUsedBytes(): number {
    const usage = this.runtime.computeMemoryUsage();
    const used = this.context.getProp(usage, 'memory_used_size');
    const bytes = this.context.getNumber(used);
    used.dispose();
    usage.dispose();
    return bytes;
  }

  /**
   * Runs one task: its result, or a promise of it when the task waits on
   * jobs or host calls. Never rejects for faults of the EU.
   */
  run(spec: SandboxTask): SandboxResult | Promise<SandboxResult> {
    if (this.poisoned || this.task !== undefined)
      throw new CortenError('INTERNAL', 'this sandbox context cannot run a task now');
    this.tasksRun++;
    const task: TaskState = {
      number: this.tasksRun,
      budgetMs: spec.budgetMs,
      cpuMs: 0,
      segmentStart: -1,
      interrupted: false,
      forbiddenImport: undefined,
      reported: undefined,
      asyncCalls: 0,
      outstanding: undefined,
      abort: undefined,
      finished: false,
      resolve: undefined,
      timer: undefined,
      startedAt: performance.now(),
    };
    this.task = task;
    const early = this.segment(task, () => {
      const shared = this.sharedEntry(task);
      const thrown = this.calls.begin(spec.seedWords, spec.clock, spec.inputText);
      if (thrown !== undefined) return this.failFromHandle(task, thrown);
      const called =
        shared !== undefined
          ? this.calls.executeShared(shared)
          : this.calls.runModule(PackageModules.nameFor(task.number, this.pkg.manifest.entry));
      if (typeof called !== 'string') return this.failFromHandle(task, called.error, called.whileLoading);
      const reported = parseReport(called);
      if (reported !== undefined) task.reported = reported;
      return undefined;
    });
    if (early !== undefined) return this.finish(task, early);
    const settled = this.advance(task);
    if (settled !== undefined) return settled;
    return new Promise<SandboxResult>((resolve) => {
      task.resolve = resolve;
      const left = Math.max(0, task.budgetMs - (performance.now() - task.startedAt));
      task.timer = setTimeout(() => {
        if (task.finished) return;
        resolve(
          this.finish(
            task,
            this.failure(
              task,
              'EU_TIMEOUT',
              `the EU did not finish within ${task.budgetMs} ms of wall-clock time (waiting on host calls)`,
            ),
          ),
        );
      }, left);
    });
  }

  /** Frees the QuickJS runtime. The context must not be used afterwards. */
  dispose(): void {
    this.poisoned = true;
    this.task?.abort?.abort();
    for (const deferred of this.task?.outstanding ?? []) deferred.dispose();
    this.calls.dispose();
    if (this.shared !== undefined && !isPlan(this.shared)) this.shared.dispose();
    this.begin.dispose();
    this.execute.dispose();
    this.seal.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  /**
   * The shared entry namespace: evaluated, checked and frozen by the first
   * task (before its input is set), or undefined when the package's modules
   * are evaluated for every task. A package whose shared modules fail to
   * evaluate or to pass the prelude's check never shares again, and this
   * context, which evaluated them, is retired after the task.
   */
  private sharedEntry(task: TaskState): QuickJSHandle | undefined {
    const shared = this.shared;
    if (shared === undefined || !isPlan(shared)) return shared;
    this.shared = undefined;
    const ctx = this.context;
    const paths = [this.pkg.manifest.entry, ...[...shared.sources.keys()].filter((p) => p !== this.pkg.manifest.entry)];
    const root =
      paths.map((path, i) => `import * as m${i} from ${JSON.stringify(`./${path}`)};\n`).join('') +
      `export const all = [${paths.map((_, i) => `m${i}`).join(', ')}];\n`;
    const expected = JSON.stringify(paths.map((path) => shared.names.get(path)));
    let entry: QuickJSHandle | undefined;
    const evaluated = ctx.evalCode(root, PackageModules.sharedName(SHARED_ROOT), { type: 'module' });
    if (!evaluated.error) {
      const all = ctx.getProp(evaluated.value, 'all');
      const text = ctx.newString(expected);
      const sealed = ctx.callFunction(this.seal, ctx.undefined, all, text);
      if (!sealed.error && ctx.typeof(sealed.value) === 'boolean' && ctx.dump(sealed.value) === true)
        entry = ctx.getProp(all, '0');
      (sealed.error ?? sealed.value).dispose();
      for (const handle of [text, all, evaluated.value]) handle.dispose();
    } else evaluated.error.dispose();
    if (entry !== undefined) {
      this.shared = entry;
      return entry;
    }
    sharedPlans.set(this.pkg, null);
    this.retire = true;
    task.forbiddenImport = undefined;
    return undefined;
  }

  /**
   * Runs every pending job (the task's own, even after it has reported: work
   * it left running counts against its budget, and must not run in the next
   * task), then says whether the task is done or waits on host calls.
   */
  private advance(task: TaskState): SandboxResult | undefined {
    const failed = this.segment(task, () => {
      while (this.runtime.hasPendingJob()) {
        const ran = this.runtime.executePendingJobs();
        if (ran.error) return this.failFromHandle(task, ran.error);
      }
      return undefined;
    });
    if (failed !== undefined) return this.finish(task, failed);
    if (task.reported !== undefined) return this.finish(task, this.fromReport(task, task.reported));
    if (task.outstanding !== undefined && task.outstanding.size > 0) return undefined;
    return this.finish(
      task,
      this.failure(
        task,
        'EU_STALLED',
        'run returned a promise that can never settle: nothing is left to run and no host call is pending',
      ),
    );
  }

  private segment<T>(task: TaskState, body: () => T): T {
    task.segmentStart = performance.now();
    try {
      return body();
    } finally {
      task.cpuMs += performance.now() - task.segmentStart;
      task.segmentStart = -1;
    }
  }

  private shouldInterrupt(): boolean {
    const task = this.task;
    if (task === undefined || task.segmentStart < 0) return false;
    if (task.interrupted || task.cpuMs + (performance.now() - task.segmentStart) > task.budgetMs) {
      task.interrupted = true;
      return true;
    }
    return false;
  }

  private finish(task: TaskState, result: SandboxResult): SandboxResult {
    task.finished = true;
    if (task.timer !== undefined) clearTimeout(task.timer);
    if (!result.ok && CONTEXT_POISONING_CODES.has(result.code)) this.poisoned = true;
    if ((task.outstanding !== undefined && task.outstanding.size > 0) || this.runtime.hasPendingJob() || this.retire)
      this.poisoned = true;
    if (task.outstanding !== undefined) {
      task.abort?.abort();
      for (const deferred of task.outstanding) deferred.dispose();
      task.outstanding.clear();
    }
    this.task = undefined;
    return { ...result, cpuMs: task.cpuMs };
  }

  private failure(task: TaskState, code: Exclude<SandboxResult, { ok: true }>['code'], message: string): SandboxResult {
    return { ok: false, code, message, cpuMs: task.cpuMs };
  }

  private classify(
    task: TaskState,
    name: string,
    message: string,
    fromHost: boolean,
    whileLoading = false,
  ): SandboxResult {
    const { code, message: text } = classifyFault({
      name,
      message,
      fromHost,
      whileLoading,
      interrupted: task.interrupted,
      forbiddenImport: task.forbiddenImport,
      budgetMs: task.budgetMs,
    });
    return this.failure(task, code, text);
  }

  private fromReport(task: TaskState, reported: Reported): SandboxResult {
    switch (reported.kind) {
      case REPORT.OK:
        return { ok: true, outputText: reported.text, cpuMs: task.cpuMs };
      case REPORT.NOT_JSON:
        return this.failure(task, 'EU_OUTPUT_NOT_JSON', `the output is not JSON: ${reported.text}`);
      case REPORT.BAD_MODULE:
        return this.failure(task, 'EU_BAD_MODULE', reported.text);
      default:
        return this.classify(task, reported.name, reported.message, reported.fromHost);
    }
  }

  /** Classifies an exception that escaped the prelude (uncatchable, or thrown while loading the module). */
  private failFromHandle(task: TaskState, error: QuickJSHandle, whileLoading = false): SandboxResult {
    let name = 'Error';
    let message = 'the EU failed in a way that could not be described';
    try {
      const ctx = this.context;
      if (ctx.typeof(error) === 'object') {
        const n = ctx.getProp(error, 'name');
        const m = ctx.getProp(error, 'message');
        if (ctx.typeof(n) === 'string' && ERROR_NAME.test(ctx.getString(n))) name = ctx.getString(n);
        if (ctx.typeof(m) === 'string') message = ctx.getString(m);
        n.dispose();
        m.dispose();
      } else if (ctx.typeof(error) === 'string') {
        message = ctx.getString(error);
      }
    } catch {
      // The context is failing (out of memory, interrupted): the flags below still classify it.
    } finally {
      error.dispose();
    }
    if (!whileLoading) this.poisoned = true;
    return this.classify(task, name, message, false, whileLoading);
  }

  /** A report made from a job, after `execute` returned (run awaited something). */
  private onReport(text: string): void {
    const task = this.task;
    if (task === undefined || task.reported !== undefined) return;
    task.reported = parseReport(text);
  }

  private hostCall(name: string, argsText: string): QuickJSHandle {
    let reply: string;
    try {
      reply = `O${JSON.stringify(this.services.call(name, JSON.parse(argsText) as unknown[]))}`;
    } catch (error) {
      reply = replyForError(error);
    }
    return this.calls.newString(reply);
  }

  private hostCallAsync(name: string, argsText: string): QuickJSHandle {
    const task = this.task;
    const deferred = this.context.newPromise();
    if (task === undefined) return this.settled(deferred, 'Ehost calls are not available outside a task');
    task.asyncCalls++;
    if (task.asyncCalls > MAX_ASYNC_HOST_CALLS || (task.outstanding?.size ?? 0) >= MAX_ASYNC_HOST_CALLS_IN_FLIGHT) {
      return this.settled(
        deferred,
        `T${name}: an execution may make ${MAX_ASYNC_HOST_CALLS} asynchronous host calls, ${MAX_ASYNC_HOST_CALLS_IN_FLIGHT} at a time`,
      );
    }
    task.outstanding ??= new Set();
    task.abort ??= new AbortController();
    task.outstanding.add(deferred);
    void this.services
      .callAsync(name, JSON.parse(argsText) as unknown[], task.abort.signal)
      .then(
        (value) => `O${JSON.stringify(value)}`,
        (error: unknown) => replyForError(error),
      )
      .then((text) => this.settleHostCall(task, deferred, text));
    return deferred.handle;
  }

  /** A host call's promise, already settled with `reply`. */
  private settled(deferred: QuickJSDeferredPromise, reply: string): QuickJSHandle {
    const value = this.context.newString(reply);
    deferred.resolve(value);
    value.dispose();
    return deferred.handle;
  }

  private settleHostCall(task: TaskState, deferred: QuickJSDeferredPromise, text: string): void {
    if (task.finished || task.outstanding?.delete(deferred) !== true) return;
    const value = this.context.newString(text);
    try {
      deferred.resolve(value);
    } catch {
      this.poisoned = true;
    } finally {
      value.dispose();
    }
    const settled = this.advance(task);
    if (settled !== undefined) task.resolve?.(settled);
  }
}

function isPlan(shared: SharedPlan | QuickJSHandle): shared is SharedPlan {
  return 'sources' in shared;
}

function replyForError(error: unknown): string {
  if (error instanceof CortenError && error.code === 'VALIDATION_FAILED') return `T${error.message}`;
  return `E${error instanceof Error ? error.message : String(error)}`;
}
