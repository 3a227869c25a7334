/**
 * Which events an operator's webhooks are told of, and as what kind. A pure
 * rule, read at the end of every turn over the turn's events.
 *
 * A lease that expired because its operator went offline is not told one by
 * one (the `offline` alert says how many expired with it), and one lost to a
 * coordinator restart is nobody's doing: neither is a `lease_expired` alert.
 */
import type { NewEvent, WebhookKind } from '../../protocol/index.js';

export interface Alert {
  kind: WebhookKind;
  operatorId: string;
}

export function alertOf(e: NewEvent): Alert | null {
  const operatorId = e.operatorId ?? (e.data as { operatorId?: unknown }).operatorId;
  if (typeof operatorId !== 'string') return null;
  switch (e.type) {
    case 'operator.offline':
      return { kind: 'offline', operatorId };
    case 'operator.online':
      return { kind: 'online', operatorId };
    case 'assignment.expired': {
      const reason = (e.data as { reason: string }).reason;
      return reason === 'operator_offline' || reason === 'coordinator_restart'
        ? null
        : { kind: 'lease_expired', operatorId };
    }
    case 'ledger.slashed':
      return { kind: 'slashed', operatorId };
    case 'operator.suspended':
      return { kind: 'suspended', operatorId };
    case 'operator.degraded':
      return { kind: 'degraded', operatorId };
    case 'ledger.withdrawn':
      return (e.data as { source?: string }).source === 'earnings' ? { kind: 'earnings_paid', operatorId } : null;
    default:
      return null;
  }
}
