import type { OperatorProcess } from '../../src/sim/index.js';
import type { EventLog } from './event-log.js';

/** Leases each operator holds right now, as the event log tells it. */
export function liveLeases(log: EventLog): Map<string, number> {
  const live = new Map<string, Set<string>>();
  for (const e of log.events) {
    const d = e.data as { assignmentId?: string; operatorId?: string };
    if (!d.assignmentId || !d.operatorId) continue;
    if (e.type === 'task.assigned' || e.type === 'task.reassigned') {
      if (!live.has(d.operatorId)) live.set(d.operatorId, new Set());
      live.get(d.operatorId)!.add(d.assignmentId);
    } else if (
      ['result.received', 'assignment.expired', 'assignment.cancelled', 'assignment.released'].includes(e.type)
    ) {
      live.get(d.operatorId)?.delete(d.assignmentId);
    }
  }
  return new Map([...live].map(([op, set]) => [op, set.size]));
}

/** The `count` running operators holding the most leases. */
export function busiest(operators: OperatorProcess[], log: EventLog, count: number): OperatorProcess[] {
  const live = liveLeases(log);
  return operators
    .filter((o) => o.running)
    .sort((a, b) => (live.get(b.operatorId) ?? 0) - (live.get(a.operatorId) ?? 0))
    .slice(0, count);
}
