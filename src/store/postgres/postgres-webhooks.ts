/**
 * Webhooks on PostgreSQL: the writes of their changes (`webhookWrite`, an
 * area of the commit) and their reads (`store.webhooks`), as SQLite's
 * sqlite-webhooks.ts.
 */
import type { Change } from '../change-set.js';
import { attemptFromRaw, deliveryFromRaw, webhookFromRaw } from '../sqlite-webhooks.js';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookRow, WebhookStore } from '../webhook-store.js';
import type { Query } from './pg-pool.js';
import { sql, touchingOne, type InsertSpec, type Write } from './write-plan.js';

const WEBHOOK: InsertSpec = {
  table: 'webhooks',
  columns: ['id', 'operator_id', 'url', 'kinds', 'description', 'secret', 'created_at', 'created_by', 'removed_at'],
};
const DELIVERY: InsertSpec = {
  table: 'webhook_deliveries',
  columns: [
    'id',
    'webhook_id',
    'kind',
    'event_type',
    'payload',
    'status',
    'attempts',
    'next_attempt_at',
    'created_at',
    'updated_at',
  ],
};

/** The write of a webhook change, or undefined when the change belongs to another area. */
export function webhookWrite(change: Change): Write | undefined {
  switch (change.op) {
    case 'webhook.insert': {
      const r = change.row;
      return {
        kind: 'insert',
        spec: WEBHOOK,
        values: [r.id, r.operatorId, r.url, r.kinds, r.description, r.secret, r.createdAt, r.createdBy, r.removedAt],
      };
    }
    case 'webhook.remove':
      return sql(
        touchingOne(
          'UPDATE webhooks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL',
          [change.removedAt, change.id],
          { kind: 'one', message: `webhook ${change.id} is not registered` },
        ),
      );
    case 'webhook.delivery': {
      const r = change.row;
      return {
        kind: 'insert',
        spec: DELIVERY,
        values: [
          r.id,
          r.webhookId,
          r.kind,
          r.eventType,
          r.payload,
          r.status,
          r.attempts,
          r.nextAttemptAt,
          r.createdAt,
          r.updatedAt,
        ],
      };
    }
    case 'webhook.attempt': {
      const a = change.row;
      const d = change.delivery;
      return sql(
        {
          text: `INSERT INTO webhook_attempts (delivery_id, attempt, at, duration_ms, status_code, error)
            VALUES ($1, $2, $3, $4, $5, $6)`,
          values: [a.deliveryId, a.attempt, a.at, a.durationMs, a.statusCode, a.error],
        },
        // Only a pending delivery takes an attempt's outcome: one given up meanwhile (its webhook removed) stays so.
        {
          text: `UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, updated_at = $4
            WHERE id = $5 AND status = 'pending'`,
          values: [d.status, d.attempts, d.nextAttemptAt, d.updatedAt, a.deliveryId],
        },
      );
    }
    case 'webhook.abandon':
      return sql({
        text: `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = $1
          WHERE webhook_id = $2 AND status = 'pending'`,
        values: [change.updatedAt, change.webhookId],
      });
    default:
      return undefined;
  }
}

export class PostgresWebhooks implements WebhookStore {
  constructor(private readonly query: Query) {}

  async listWebhooks(): Promise<WebhookRow[]> {
    return (await this.query('SELECT * FROM webhooks WHERE removed_at IS NULL ORDER BY created_at, id')).map(
      webhookFromRaw,
    );
  }

  async getWebhook(id: string): Promise<WebhookRow | undefined> {
    const [row] = await this.query('SELECT * FROM webhooks WHERE id = $1', [id]);
    return row ? webhookFromRaw(row) : undefined;
  }

  async listDueDeliveries(
    now: number,
    limit: number,
    exceptWebhooks: readonly string[] = [],
  ): Promise<WebhookDeliveryRow[]> {
    const rows = await this.query(
      `SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
        AND NOT (webhook_id = ANY($2::text[])) ORDER BY next_attempt_at, id LIMIT $3`,
      [now, exceptWebhooks, limit],
    );
    return rows.map(deliveryFromRaw);
  }

  async nextDueAt(): Promise<number | null> {
    const [row] = await this.query(
      `SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return (row?.at as number | null) ?? null;
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]> {
    const rows = await this.query(
      'SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [webhookId, limit],
    );
    return rows.map(deliveryFromRaw);
  }

  async listAttempts(deliveryIds: readonly string[]): Promise<WebhookAttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.query(
      'SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt',
      [deliveryIds],
    );
    return rows.map(attemptFromRaw);
  }
}
