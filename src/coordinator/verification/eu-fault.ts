/**
 * The EU's fault is not the operator's.
 *
 * An execution that runs out of time or memory may be a slow or overloaded
 * machine, or an EU that cannot finish within its own limits on any machine.
 * One operator cannot tell the two apart; several can. The rule:
 *
 *   resource fault  an assignment whose result is EU_TIMEOUT, EU_OUT_OF_MEMORY
 *                   or EU_CRASHED (the sandbox worker died running it), or
 *                   whose lease ran past its deadline while the operator kept
 *                   heartbeating (`overran`: alive and working, not silent)
 *   the EU's fault  resource faults on at least `max(2, quorum)` distinct
 *                   operators, at least one of them reported by a sandbox
 *                   (it saw the EU exceed its limits), and no output has
 *                   reached quorum. Overruns alone are not enough: on an
 *                   overloaded network honest leases of an honest EU overrun
 *                   together, and the task must then move on, not fail. The task
 *                   fails as `eu_resource_exceeded`; nobody is slashed; the
 *                   submitter pays each execution it caused (price each, up to
 *                   what it escrowed), the rest is refunded.
 *   undecided       an overrun is not slashed when it happens (it counts in
 *                   the operator's health figures at once, so an overloaded
 *                   machine gets fewer slots). It is judged with the task:
 *                   if the task is verified (other operators ran the EU
 *                   within its limits) it was the operator's fault, slashed
 *                   `slashExpiry`; if the task fails for any other reason,
 *                   nobody can tell and nobody is slashed.
 *
 * A lease lost because the operator went silent or its socket closed is
 * judged as before (the operator's fault): the coordinator cannot see why a
 * process died. Two operators are the least that separates "this machine"
 * from "this EU", whatever the EU's quorum.
 */
import type { AssignmentState, TaskState } from '../memory/index.js';

/** Execution error codes that say the EU ran out of its time or memory. */
export const RESOURCE_FAULT_CODES: ReadonlySet<string> = new Set(['EU_TIMEOUT', 'EU_OUT_OF_MEMORY', 'EU_CRASHED']);

/** The task failure code of the rule. */
export const EU_RESOURCE_EXCEEDED = 'eu_resource_exceeded';

export function isResourceFault(a: AssignmentState): boolean {
  if (a.status === 'expired') return a.overran === true;
  const reported = a.status === 'submitted' || a.status === 'accepted';
  return reported && a.errorCode !== null && RESOURCE_FAULT_CODES.has(a.errorCode);
}

/** Distinct operators whose execution of this task hit a resource fault. */
export function resourceFaultOperators(task: TaskState): Set<string> {
  const ops = new Set<string>();
  for (const a of task.assignments) if (isResourceFault(a)) ops.add(a.operatorId);
  return ops;
}

/** True when the task's resource faults show the EU, not its operators, is at fault. */
export function isEuResourceFault(task: TaskState): boolean {
  if (resourceFaultOperators(task).size < Math.max(2, task.eu.manifest.verification.quorum)) return false;
  return task.assignments.some((a) => a.status !== 'expired' && isResourceFault(a));
}

/** The executions the submitter pays for when the EU is at fault, in the order they ended. */
export function paidResourceFaults(task: TaskState): AssignmentState[] {
  return task.assignments.filter(isResourceFault).sort((x, y) => (x.finishedAt ?? 0) - (y.finishedAt ?? 0));
}
