/**
 * Which events become which webhook alerts (webhooks/alert-kinds.ts), and
 * which do not: leases lost with their operator or to a coordinator restart,
 * stake payouts after unbonding, events about nobody's operator.
 */
import { describe, expect, it } from 'vitest';
import { alertOf } from '../../src/coordinator/webhooks/index.js';
import type { EventMap, EventType, NewEvent } from '../../src/protocol/index.js';

const event = <T extends EventType>(type: T, data: EventMap[T], operatorId: string | null = 'op_1'): NewEvent =>
  ({ type, ts: 1, data, taskId: null, operatorId }) as NewEvent;

describe('alert kinds', () => {
  it('tells each kind of its event', () => {
    const cases: [NewEvent, string][] = [
      [event('operator.offline', { operatorId: 'op_1', region: 'r', reason: 'closed', expired: 2 }), 'offline'],
      [event('operator.online', { operatorId: 'op_1', region: 'r', resumed: 0 }), 'online'],
      [
        event('assignment.expired', { taskId: 't', assignmentId: 'a', operatorId: 'op_1', reason: 'lease_deadline' }),
        'lease_expired',
      ],
      [
        event('assignment.expired', { taskId: 't', assignmentId: 'a', operatorId: 'op_1', reason: 'proactive' }),
        'lease_expired',
      ],
      [event('ledger.slashed', { operatorId: 'op_1', amount: 5, reason: 'dissent', entryId: 'le_1' }), 'slashed'],
      [event('operator.suspended', { operatorId: 'op_1', reason: 'repeated dissent' }), 'suspended'],
      [event('operator.degraded', { operatorId: 'op_1', reason: 'slow' }), 'degraded'],
      [
        event('ledger.withdrawn', { operatorId: 'op_1', amount: 9, entryId: 'le_2', source: 'earnings' }),
        'earnings_paid',
      ],
    ];
    for (const [e, kind] of cases) expect(alertOf(e), e.type).toEqual({ kind, operatorId: 'op_1' });
  });

  it('stays quiet for what another alert covers, what is nobody’s doing, and what names no operator', () => {
    const quiet: NewEvent[] = [
      event('assignment.expired', { taskId: 't', assignmentId: 'a', operatorId: 'op_1', reason: 'operator_offline' }),
      event('assignment.expired', {
        taskId: 't',
        assignmentId: 'a',
        operatorId: 'op_1',
        reason: 'coordinator_restart',
      }),
      event('ledger.withdrawn', { operatorId: 'op_1', amount: 9, entryId: 'le_2', source: 'unbonding' }),
      event('ledger.withdrawn', { operatorId: 'op_1', amount: 9, entryId: 'le_2' }),
      event('operator.recovered', { operatorId: 'op_1' }),
      event('ledger.rewarded', { taskId: 't', operatorId: 'op_1', amount: 1, entryId: 'le_3' }),
      event('region.down', { region: 'r', reason: 'x' }, null),
    ];
    for (const e of quiet) expect(alertOf(e), e.type).toBeNull();
  });
});
