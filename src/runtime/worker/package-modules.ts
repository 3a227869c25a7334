/**
 * The sandbox's module loader: it serves the EU's own files and nothing
 * else. Module names are `t<task>/<path>`, so each task evaluates its own
 * copy of every module (QuickJS caches modules by name for the life of a
 * context), or `s/<path>` for the rewritten modules of a package whose
 * modules are evaluated once and shared (see shared-modules.ts). `.json`
 * files load as a module whose default export is the parsed document.
 *
 * Resolution never fails (QuickJS would drop the reason): an import that is
 * not a relative path inside the package (`node:fs`, `http://…`, a bare
 * name, `../` out of the package) resolves to a `!forbidden:` name, which the
 * loader then refuses with the reason, and the caller is told so it can
 * report EU_FORBIDDEN.
 */
import { posix } from 'node:path';
import type { SharedPlan } from './shared-modules.js';

/** Marks a refused import's module name; `!` cannot begin a package file path. */
const FORBIDDEN = '!forbidden:';
/** The prefix of shared modules' names. */
const SHARED = 's';

export class PackageModules {
  constructor(
    private readonly files: Readonly<Record<string, string>>,
    private readonly onForbidden: (specifier: string) => void,
    /** The rewritten modules, when the package's modules are shared. */
    private readonly shared?: SharedPlan,
  ) {}

  /** The module name of a task's copy of `path`. */
  static nameFor(task: number, path: string): string {
    return `t${task}/${path}`;
  }

  /** The module name of the shared copy of `path`. */
  static sharedName(path: string): string {
    return `${SHARED}/${path}`;
  }

  resolve(base: string, requested: string): string {
    const slash = base.indexOf('/');
    const prefix = base.slice(0, slash);
    const from = base.slice(slash + 1);
    if (!requested.startsWith('./') && !requested.startsWith('../')) return this.forbid(prefix, requested);
    const path = posix.normalize(posix.join(posix.dirname(from), requested));
    if (path.startsWith('../') || path === '..') return this.forbid(prefix, requested);
    return `${prefix}/${path}`;
  }

  load(name: string): string | { error: Error } {
    const path = name.slice(name.indexOf('/') + 1);
    if (path.startsWith(FORBIDDEN)) {
      return {
        error: new Error(
          `import of "${path.slice(FORBIDDEN.length)}" is forbidden: an EU may import only its own files, by relative path`,
        ),
      };
    }
    const text = name.startsWith(`${SHARED}/`) ? this.shared?.sources.get(path) : this.files[path];
    if (text === undefined) return { error: new Error(`module "${path}" is not among the EU's files`) };
    if (!path.endsWith('.json')) return text;
    try {
      JSON.parse(text);
    } catch (error) {
      return { error: new Error(`${path} is not valid JSON: ${(error as Error).message}`) };
    }
    return `export default ${text};`;
  }

  private forbid(prefix: string, requested: string): string {
    this.onForbidden(requested);
    return `${prefix}/${FORBIDDEN}${requested}`;
  }
}
