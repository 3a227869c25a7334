/**
 * How a failed task becomes a stable execution error code. QuickJS reports
 * its own limits as ordinary exceptions (`InternalError: out of memory`,
 * `InternalError: stack overflow`, `InternalError: interrupted`), which an EU
 * could also catch or imitate; the sandbox's own observations (its interrupt
 * handler fired, its module loader refused an import) take precedence over
 * the exception's text.
 */
import type { ExecutionErrorCode } from '../execution-codes.js';

export interface Fault {
  /** The thrown value's `name` (`TypeError`, `InternalError` …). */
  name: string;
  message: string;
  /** The exception is the HostError of a failed host capability. */
  fromHost: boolean;
  /** The interrupt handler stopped the task: its CPU budget is spent. */
  interrupted: boolean;
  /** The first import the module loader refused during the task. */
  forbiddenImport: string | undefined;
  /** The failure happened while the entry module was being compiled or evaluated. */
  whileLoading: boolean;
  budgetMs: number;
}

export function classifyFault(fault: Fault): { code: ExecutionErrorCode; message: string } {
  const { name, message } = fault;
  if (fault.interrupted)
    return { code: 'EU_TIMEOUT', message: `the EU used more than its ${fault.budgetMs} ms of CPU time` };
  if (name === 'InternalError' && /out of memory/.test(message)) {
    return {
      code: 'EU_OUT_OF_MEMORY',
      message: 'the EU ran out of memory (its limit is set by requirements.memoryMb, capped by the operator)',
    };
  }
  if ((name === 'InternalError' || name === 'RangeError') && /stack overflow|call stack/i.test(message)) {
    return { code: 'EU_STACK_OVERFLOW', message: 'the EU recursed too deeply (stack overflow)' };
  }
  if (fault.forbiddenImport !== undefined) {
    return {
      code: 'EU_FORBIDDEN',
      message: `the EU tried to import "${fault.forbiddenImport}": an EU may import only its own files, by relative path`,
    };
  }
  if (fault.fromHost) return { code: 'EU_HOST_ERROR', message };
  if (fault.whileLoading && name === 'SyntaxError')
    return { code: 'EU_BAD_MODULE', message: `the entry module does not compile: ${name}: ${message}` };
  return { code: 'EU_THREW', message: `${name}: ${message}` };
}
