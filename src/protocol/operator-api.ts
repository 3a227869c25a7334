/**
 * The API an operator's owner uses: its standing (status, stake, earnings,
 * slashes and their reasons, reputation) and its webhooks, the alerts the
 * coordinator POSTs when something happens to it. Requests are signed with
 * the operator's key (operator-request.ts) or made with the admin token.
 *
 * A webhook delivery is a POST of JSON (`WebhookPayload`) signed with
 * HMAC-SHA256 under the webhook's secret, over `<timestamp>.<body>`; the
 * header `x-corten-webhook-signature` reads `t=<timestamp>,v1=<hex>`. A
 * receiver checks it with `verifyWebhookSignature` (or its own three lines of
 * HMAC) and refuses a timestamp too old, so a captured delivery cannot be
 * replayed to it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ReputationView } from './trust-api.js';

/** What a webhook may be told of. */
export const WEBHOOK_KINDS = [
  /** The operator went offline (socket closed or silent), with how many leases that expired. */
  'offline',
  /** The operator came (back) online. */
  'online',
  /** One of its leases expired: it did not return a result in time. */
  'lease_expired',
  /** Stake was slashed, with the reason. */
  'slashed',
  /** It was suspended: it gets no work until reinstated. */
  'suspended',
  /** Its reputation degraded: the health policy gives it less work. */
  'degraded',
  /** Earnings were paid out. */
  'earnings_paid',
] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

export const WEBHOOK_HEADERS = {
  signature: 'x-corten-webhook-signature',
  /** The delivery's id: the same on every retry of one delivery, so a receiver can drop duplicates. */
  delivery: 'x-corten-webhook-delivery',
  kind: 'x-corten-webhook-kind',
} as const;

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

export const RegisterWebhookRequest = z.strictObject({
  url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH),
  /** What to be told of; default: every kind. */
  kinds: z.array(z.enum(WEBHOOK_KINDS)).min(1).max(WEBHOOK_KINDS.length).optional(),
  description: z.string().max(200).default(''),
});
export type RegisterWebhookRequest = z.input<typeof RegisterWebhookRequest>;

export const WebhookParams = z.strictObject({
  id: z.string().regex(/^op_[0-9a-f]{20}$/, 'an operator id is op_ and 20 hex digits'),
  webhookId: z.string().regex(/^wh_[0-9a-z]{1,40}$/, 'a webhook id is wh_ and up to 40 letters or digits'),
});

export const ListDeliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export interface WebhookView {
  id: string;
  operatorId: string;
  url: string;
  kinds: WebhookKind[];
  description: string;
  createdAt: number;
  /** Who registered it: the operator's key, or the admin. */
  createdBy: 'operator' | 'admin';
}

export interface CreatedWebhook extends WebhookView {
  /** The HMAC key deliveries are signed with (64 hex digits): shown once, at registration. */
  secret: string;
}

export interface WebhookAttemptView {
  attempt: number;
  at: number;
  durationMs: number;
  /** The receiver's HTTP status; null when it did not answer (timeout, refused connection). */
  statusCode: number | null;
  /** Why the attempt failed; null when it succeeded. */
  error: string | null;
}

export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  kind: WebhookKind;
  /** The event that caused it (events.ts). */
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the next attempt is due; null once delivered or given up. */
  nextAttemptAt: number | null;
  createdAt: number;
  /** Every attempt, oldest first. */
  log: WebhookAttemptView[];
}

/** The body of a delivery. */
export interface WebhookPayload {
  deliveryId: string;
  webhookId: string;
  operatorId: string;
  kind: WebhookKind;
  /** The event as the coordinator committed it (without its seq, given at the same commit). */
  event: { type: string; ts: number; data: unknown };
}

export interface SlashView {
  ts: number;
  amount: number;
  reason: string;
  taskId?: string;
}

/** An operator's standing, as `corten operator status` prints it. */
export interface OperatorStandingView {
  operatorId: string;
  status: string;
  statusReason: string | null;
  connected: boolean;
  lastSeenAt: number;
  stake: number;
  unbonding: number;
  earnings: number;
  minStake: number;
  eligible: boolean;
  pendingWithdrawals: { amount: number; availableAt: number }[];
  /** Every slash of the operator: their count and sum, and the latest with their reasons. */
  slashes: { count: number; total: number; recent: SlashView[] };
  /** The latest suspensions and reinstatements. */
  suspensions: { ts: number; kind: 'suspended' | 'reinstated'; reason: string | null }[];
  reputation: ReputationView;
}

/** The signature of a delivery: hex HMAC-SHA256 under `secret` of `<timestamp>.<body>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `x-corten-webhook-signature` header of a delivery sent at `timestamp`. */
export function webhookSignatureHeader(secret: string, timestamp: string, body: string): string {
  return `t=${timestamp},v1=${webhookSignature(secret, timestamp, body)}`;
}

/**
 * True when `header` signs `body` under `secret` and its timestamp is within
 * `toleranceMs` of `now`. Never throws.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  now: number = Date.now(),
  toleranceMs: number = 5 * 60_000,
): boolean {
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, timestamp, given] = match as unknown as [string, string, string];
  if (Math.abs(now - Number(timestamp)) > toleranceMs) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
