/**
 * The reads of webhooks and their deliveries, behind the Store
 * (`store.webhooks`). Writes travel in the ChangeSet like every other write
 * (see WebhookChange): a delivery is written in the same transaction as the
 * event that caused it, and each attempt in the turn that records it.
 */

/** A registered webhook (or one removed: `removedAt` set). */
export interface WebhookRow {
  id: string;
  operatorId: string;
  url: string;
  /** JSON array of kinds. */
  kinds: string;
  description: string;
  secret: string;
  createdAt: number;
  createdBy: 'operator' | 'admin';
  removedAt: number | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRow {
  id: string;
  webhookId: string;
  kind: string;
  eventType: string;
  /** The JSON body, exactly as signed and sent. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookAttemptRow {
  deliveryId: string;
  attempt: number;
  at: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** What an attempt leaves its delivery at. */
export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  updatedAt: number;
}

/** Writes of webhooks (store/sqlite-webhooks.ts applies them). */
export type WebhookChange =
  | { op: 'webhook.insert'; row: WebhookRow }
  | { op: 'webhook.remove'; id: string; removedAt: number }
  | { op: 'webhook.delivery'; row: WebhookDeliveryRow }
  /** One attempt, and the state it leaves its delivery in. */
  | { op: 'webhook.attempt'; row: WebhookAttemptRow; delivery: DeliveryUpdate }
  /** Every pending delivery of a removed webhook is given up. */
  | { op: 'webhook.abandon'; webhookId: string; updatedAt: number };

export interface WebhookStore {
  /** Webhooks still registered, every operator's (the coordinator holds them in memory). */
  listWebhooks(): Promise<WebhookRow[]>;
  /** A webhook, removed or not. */
  getWebhook(id: string): Promise<WebhookRow | undefined>;
  /**
   * Pending deliveries due at `now`, the longest due first, leaving out those
   * of `exceptWebhooks` (the ones with their share in flight: a dead
   * receiver's backlog must not hide everyone else's deliveries).
   */
  listDueDeliveries(now: number, limit: number, exceptWebhooks?: readonly string[]): Promise<WebhookDeliveryRow[]>;
  /** The earliest next attempt of any pending delivery; null when none is pending. */
  nextDueAt(): Promise<number | null>;
  /** A webhook's latest deliveries, newest first. */
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]>;
  /** Every attempt of the given deliveries, by delivery then attempt. */
  listAttempts(deliveryIds: readonly string[]): Promise<WebhookAttemptRow[]>;
}
