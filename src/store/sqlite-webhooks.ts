/**
 * The SQL of webhooks for the SQLite backend: webhooks, their deliveries and
 * every attempt. SqliteStore delegates these writes and reads here.
 */
import type Database from 'better-sqlite3';
import type {
  DeliveryStatus,
  WebhookAttemptRow,
  WebhookChange,
  WebhookDeliveryRow,
  WebhookRow,
  WebhookStore,
} from './webhook-store.js';

type Raw = Record<string, unknown>;
type Statement = Database.Statement<unknown[], Raw>;

export const webhookFromRaw = (r: Raw): WebhookRow => ({
  id: r.id as string,
  operatorId: r.operator_id as string,
  url: r.url as string,
  kinds: r.kinds as string,
  description: r.description as string,
  secret: r.secret as string,
  createdAt: r.created_at as number,
  createdBy: r.created_by as 'operator' | 'admin',
  removedAt: (r.removed_at as number | null) ?? null,
});

export const deliveryFromRaw = (r: Raw): WebhookDeliveryRow => ({
  id: r.id as string,
  webhookId: r.webhook_id as string,
  kind: r.kind as string,
  eventType: r.event_type as string,
  payload: r.payload as string,
  status: r.status as DeliveryStatus,
  attempts: r.attempts as number,
  nextAttemptAt: (r.next_attempt_at as number | null) ?? null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

export const attemptFromRaw = (r: Raw): WebhookAttemptRow => ({
  deliveryId: r.delivery_id as string,
  attempt: r.attempt as number,
  at: r.at as number,
  durationMs: r.duration_ms as number,
  statusCode: (r.status_code as number | null) ?? null,
  error: (r.error as string | null) ?? null,
});

/** Deliveries whose attempts one query reads at most (SQLite's parameter limit is far above). */
const ATTEMPTS_CHUNK = 500;

export class SqliteWebhooks implements WebhookStore {
  constructor(private readonly stmt: (sql: string) => Statement) {}

  apply(change: WebhookChange): void {
    switch (change.op) {
      case 'webhook.insert':
        this.stmt(
          `INSERT INTO webhooks (id, operator_id, url, kinds, description, secret, created_at, created_by, removed_at)
           VALUES (@id, @operatorId, @url, @kinds, @description, @secret, @createdAt, @createdBy, @removedAt)`,
        ).run(change.row);
        return;
      case 'webhook.remove': {
        const info = this.stmt('UPDATE webhooks SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(
          change.removedAt,
          change.id,
        );
        if (info.changes !== 1) throw new Error(`webhook ${change.id} is not registered`);
        return;
      }
      case 'webhook.delivery':
        this.stmt(
          `INSERT INTO webhook_deliveries (id, webhook_id, kind, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
           VALUES (@id, @webhookId, @kind, @eventType, @payload, @status, @attempts, @nextAttemptAt, @createdAt, @updatedAt)`,
        ).run(change.row);
        return;
      case 'webhook.attempt': {
        this.stmt(
          `INSERT INTO webhook_attempts (delivery_id, attempt, at, duration_ms, status_code, error)
           VALUES (@deliveryId, @attempt, @at, @durationMs, @statusCode, @error)`,
        ).run(change.row);
        const d = change.delivery;
        // Only a pending delivery takes an attempt's outcome: one given up meanwhile (its webhook removed) stays so.
        this.stmt(
          `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ?
           WHERE id = ? AND status = 'pending'`,
        ).run(d.status, d.attempts, d.nextAttemptAt, d.updatedAt, change.row.deliveryId);
        return;
      }
      case 'webhook.abandon':
        this.stmt(
          `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ?
           WHERE webhook_id = ? AND status = 'pending'`,
        ).run(change.updatedAt, change.webhookId);
        return;
    }
  }

  async listWebhooks(): Promise<WebhookRow[]> {
    return this.stmt('SELECT * FROM webhooks WHERE removed_at IS NULL ORDER BY created_at, id')
      .all()
      .map(webhookFromRaw);
  }

  async getWebhook(id: string): Promise<WebhookRow | undefined> {
    const row = this.stmt('SELECT * FROM webhooks WHERE id = ?').get(id);
    return row ? webhookFromRaw(row) : undefined;
  }

  async listDueDeliveries(
    now: number,
    limit: number,
    exceptWebhooks: readonly string[] = [],
  ): Promise<WebhookDeliveryRow[]> {
    const except =
      exceptWebhooks.length > 0 ? `AND webhook_id NOT IN (${exceptWebhooks.map(() => '?').join(', ')})` : '';
    return this.stmt(
      `SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ${except}
       ORDER BY next_attempt_at, id LIMIT ?`,
    )
      .all(now, ...exceptWebhooks, limit)
      .map(deliveryFromRaw);
  }

  async nextDueAt(): Promise<number | null> {
    const row = this.stmt(`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`).get();
    return (row?.at as number | null) ?? null;
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]> {
    return this.stmt('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?')
      .all(webhookId, limit)
      .map(deliveryFromRaw);
  }

  async listAttempts(deliveryIds: readonly string[]): Promise<WebhookAttemptRow[]> {
    const out: WebhookAttemptRow[] = [];
    for (let i = 0; i < deliveryIds.length; i += ATTEMPTS_CHUNK) {
      const chunk = deliveryIds.slice(i, i + ATTEMPTS_CHUNK);
      const sql = `SELECT * FROM webhook_attempts WHERE delivery_id IN (${chunk.map(() => '?').join(', ')})
        ORDER BY delivery_id, attempt`;
      out.push(
        ...this.stmt(sql)
          .all(...chunk)
          .map(attemptFromRaw),
      );
    }
    return out;
  }
}
