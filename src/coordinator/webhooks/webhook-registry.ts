/**
 * The operators' webhooks, held in memory (a handful per operator) and
 * changed only inside engine turns, in step with the change set that
 * persists them. At the end of every turn it reads the turn's events and
 * writes a pending delivery for each alert a webhook asked for, in the same
 * transaction as the event: the alert is as durable as what it tells of. The
 * dispatcher sends it after the commit.
 */
import { randomBytes } from 'node:crypto';
import {
  CortenError,
  WEBHOOK_KINDS,
  type CreatedWebhook,
  type WebhookKind,
  type WebhookPayload,
  type WebhookView,
} from '../../protocol/index.js';
import type { Store, WebhookRow } from '../../store/index.js';
import { newId, type Turn } from '../memory/index.js';
import { alertOf } from './alert-kinds.js';

export interface WebhookState {
  id: string;
  operatorId: string;
  url: string;
  kinds: ReadonlySet<WebhookKind>;
  description: string;
  secret: string;
  createdAt: number;
  createdBy: 'operator' | 'admin';
}

export interface NewWebhook {
  operatorId: string;
  /** Already checked (webhook-url.ts). */
  url: string;
  kinds: WebhookKind[];
  description: string;
  createdBy: 'operator' | 'admin';
}

export function webhookView(w: WebhookState): WebhookView {
  return {
    id: w.id,
    operatorId: w.operatorId,
    url: w.url,
    kinds: WEBHOOK_KINDS.filter((k) => w.kinds.has(k)),
    description: w.description,
    createdAt: w.createdAt,
    createdBy: w.createdBy,
  };
}

function fromRow(row: WebhookRow): WebhookState {
  return {
    id: row.id,
    operatorId: row.operatorId,
    url: row.url,
    kinds: new Set(JSON.parse(row.kinds) as WebhookKind[]),
    description: row.description,
    secret: row.secret,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
  };
}

export class WebhookRegistry {
  private readonly byId = new Map<string, WebhookState>();
  private readonly byOperator = new Map<string, WebhookState[]>();
  /** Called after the commit of a turn that wrote deliveries (the dispatcher's wake-up). */
  onDeliveries: (() => void) | null = null;

  constructor(private readonly perOperator: number) {}

  async load(store: Store): Promise<void> {
    for (const row of await store.webhooks.listWebhooks()) this.add(fromRow(row));
  }

  /** Webhooks registered. */
  get size(): number {
    return this.byId.size;
  }

  get(id: string): WebhookState | undefined {
    return this.byId.get(id);
  }

  ofOperator(operatorId: string): readonly WebhookState[] {
    return this.byOperator.get(operatorId) ?? [];
  }

  register(turn: Turn, spec: NewWebhook): CreatedWebhook {
    const existing = this.ofOperator(spec.operatorId);
    if (existing.length >= this.perOperator) {
      throw new CortenError(
        'VALIDATION_FAILED',
        `operator ${spec.operatorId} has ${existing.length} webhooks, the most this coordinator keeps; remove one first`,
      );
    }
    const webhook: WebhookState = {
      id: newId('wh', turn.now),
      operatorId: spec.operatorId,
      url: spec.url,
      kinds: new Set(spec.kinds),
      description: spec.description,
      secret: randomBytes(32).toString('hex'),
      createdAt: turn.now,
      createdBy: spec.createdBy,
    };
    const view = webhookView(webhook);
    turn.changes.push({
      op: 'webhook.insert',
      row: { ...view, kinds: JSON.stringify(view.kinds), secret: webhook.secret, removedAt: null },
    });
    turn.event(
      'webhook.registered',
      { operatorId: webhook.operatorId, webhookId: webhook.id, kinds: view.kinds, createdBy: webhook.createdBy },
      { operatorId: webhook.operatorId },
    );
    this.add(webhook);
    return { ...view, secret: webhook.secret };
  }

  /** Removes a webhook; its pending deliveries are given up, its log stays readable. */
  remove(turn: Turn, operatorId: string, webhookId: string): WebhookView {
    const webhook = this.byId.get(webhookId);
    if (!webhook || webhook.operatorId !== operatorId)
      throw new CortenError('WEBHOOK_NOT_FOUND', `operator ${operatorId} has no webhook ${webhookId}`);
    turn.changes.push({ op: 'webhook.remove', id: webhookId, removedAt: turn.now });
    turn.changes.push({ op: 'webhook.abandon', webhookId, updatedAt: turn.now });
    turn.event('webhook.removed', { operatorId, webhookId }, { operatorId });
    this.byId.delete(webhookId);
    const left = this.ofOperator(operatorId).filter((w) => w !== webhook);
    if (left.length > 0) this.byOperator.set(operatorId, left);
    else this.byOperator.delete(operatorId);
    return webhookView(webhook);
  }

  /** Writes a pending delivery for every alert of the turn a webhook asked for; wakes the dispatcher after commit. */
  queueDeliveries(turn: Turn): void {
    if (this.byId.size === 0) return;
    let queued = 0;
    for (const e of turn.changes.events) {
      const alert = alertOf(e);
      if (!alert) continue;
      for (const webhook of this.ofOperator(alert.operatorId)) {
        if (!webhook.kinds.has(alert.kind)) continue;
        const id = newId('whd', turn.now);
        const payload: WebhookPayload = {
          deliveryId: id,
          webhookId: webhook.id,
          operatorId: alert.operatorId,
          kind: alert.kind,
          event: { type: e.type, ts: e.ts, data: e.data },
        };
        turn.changes.push({
          op: 'webhook.delivery',
          row: {
            id,
            webhookId: webhook.id,
            kind: alert.kind,
            eventType: e.type,
            payload: JSON.stringify(payload),
            status: 'pending',
            attempts: 0,
            nextAttemptAt: turn.now,
            createdAt: turn.now,
            updatedAt: turn.now,
          },
        });
        queued += 1;
      }
    }
    if (queued > 0 && this.onDeliveries) turn.afterCommit(this.onDeliveries);
  }

  private add(webhook: WebhookState): void {
    this.byId.set(webhook.id, webhook);
    this.byOperator.set(webhook.operatorId, [...this.ofOperator(webhook.operatorId), webhook]);
  }
}
