/**
 * The webhook dispatcher: sends the deliveries the engine wrote, outside any
 * turn, and records every attempt back through an engine command.
 *
 *   pending ──POST 2xx──▶ delivered
 *      │ ▲
 *      │ └── failed attempt, retries left: due again after a backoff (doubling, capped, jittered)
 *      └───── failed attempt, none left (or webhook removed) ──▶ failed
 *
 * A slow or dead receiver costs the coordinator and other operators little:
 * every attempt has a timeout, at most `webhookConcurrency` are in flight
 * (two for any one webhook), redirects are never followed, the answer's
 * body is never read, and a receiver that keeps failing backs off to one
 * attempt every `webhookRetryMaxMs` until it runs out of attempts. The
 * dispatcher reads what is due from the store (so deliveries survive a
 * restart) when the engine writes new ones, when a retry falls due, and
 * every `POLL_MS` as a safety net.
 */
import type { Logger } from 'pino';
import { coerceError, WEBHOOK_HEADERS, webhookSignatureHeader, type WebhookPayload } from '../../protocol/index.js';
import type { Store, WebhookDeliveryRow } from '../../store/index.js';
import type { CoordinatorConfig } from '../config/index.js';
import type { Turn } from '../memory/index.js';
import type { WebhookRegistry } from './webhook-registry.js';

/** The safety-net poll: deliveries due that nothing woke the dispatcher for (written before a restart). */
const POLL_MS = 1000;
/** Deliveries of one webhook in flight at once: a dead receiver holds two slots at most. */
const PER_WEBHOOK = 2;
/** Longest error text kept per attempt. */
const MAX_ERROR = 300;

export interface DispatcherDeps {
  store: Pick<Store, 'webhooks'>;
  registry: WebhookRegistry;
  /** Runs `fn` in an engine turn (the single writer). */
  command(fn: (turn: Turn) => void): Promise<void>;
  config: Pick<
    CoordinatorConfig,
    'webhookTimeoutMs' | 'webhookMaxAttempts' | 'webhookRetryBaseMs' | 'webhookRetryMaxMs' | 'webhookConcurrency'
  >;
  log: Logger;
  now?: () => number;
}

interface Outcome {
  delivery: WebhookDeliveryRow;
  operatorId: string;
  at: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export class WebhookDispatcher {
  private readonly inFlight = new Map<string, WebhookDeliveryRow>();
  private readonly aborts = new Set<AbortController>();
  private finished: Outcome[] = [];
  private filling = false;
  private again = false;
  private stopped = false;
  private poll: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryAt = Infinity;
  private readonly now: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.deps.registry.onDeliveries = () => this.wake();
    this.poll = setInterval(() => this.wake(), POLL_MS);
    this.poll.unref();
    this.wake();
  }

  /** Stops sending: attempts in flight are aborted and not recorded (they are due again at the next start). */
  stop(): void {
    this.stopped = true;
    this.deps.registry.onDeliveries = null;
    if (this.poll) clearInterval(this.poll);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const abort of this.aborts) abort.abort();
  }

  /** Fills free slots with due deliveries. */
  wake(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.again = true;
      return;
    }
    this.filling = true;
    void this.fill()
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'webhook dispatcher could not read deliveries'))
      .finally(() => {
        this.filling = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async fill(): Promise<void> {
    // No webhook, nothing to send: removing one gives up its pending deliveries in the same commit,
    // so the store is not read once a second on a coordinator nobody asked to alert.
    if (this.deps.registry.size === 0) return;
    const perWebhook = new Map<string, number>();
    for (const d of this.inFlight.values()) perWebhook.set(d.webhookId, (perWebhook.get(d.webhookId) ?? 0) + 1);
    // A few reads at most: each leaves out the webhooks already at their share, so one receiver's backlog
    // cannot hide the rest.
    for (let read = 0; read < 3; read++) {
      const free = this.deps.config.webhookConcurrency - this.inFlight.size;
      if (free <= 0 || this.stopped) return;
      const full = [...perWebhook].filter(([, n]) => n >= PER_WEBHOOK).map(([id]) => id);
      const limit = free * 2 + this.inFlight.size;
      const due = await this.deps.store.webhooks.listDueDeliveries(this.now(), limit, full);
      for (const delivery of due) {
        if (this.stopped || this.inFlight.size >= this.deps.config.webhookConcurrency) return;
        if (this.inFlight.has(delivery.id)) continue;
        const taken = perWebhook.get(delivery.webhookId) ?? 0;
        if (taken >= PER_WEBHOOK) continue;
        perWebhook.set(delivery.webhookId, taken + 1);
        this.inFlight.set(delivery.id, delivery);
        void this.attempt(delivery);
      }
      if (due.length < limit) return;
    }
  }

  private async attempt(delivery: WebhookDeliveryRow): Promise<void> {
    const webhook = this.deps.registry.get(delivery.webhookId);
    const at = this.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    const operatorId = webhook?.operatorId ?? (JSON.parse(delivery.payload) as WebhookPayload).operatorId;
    if (!webhook) {
      error = 'the webhook was removed';
    } else {
      const abort = new AbortController();
      this.aborts.add(abort);
      const timer = setTimeout(() => abort.abort(), this.deps.config.webhookTimeoutMs);
      try {
        const timestamp = String(at);
        const response = await fetch(webhook.url, {
          method: 'POST',
          body: delivery.payload,
          redirect: 'manual',
          signal: abort.signal,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'corten-webhooks/1',
            [WEBHOOK_HEADERS.signature]: webhookSignatureHeader(webhook.secret, timestamp, delivery.payload),
            [WEBHOOK_HEADERS.delivery]: delivery.id,
            [WEBHOOK_HEADERS.kind]: delivery.kind,
          },
        });
        statusCode = response.status;
        // The answer's body is never read: a receiver cannot make the coordinator hold a large one.
        await response.body?.cancel().catch(() => {});
        if (statusCode < 200 || statusCode >= 300) error = `the receiver answered HTTP ${statusCode}`;
      } catch (thrown) {
        if (this.stopped) return;
        error = abort.signal.aborted
          ? `no answer within ${this.deps.config.webhookTimeoutMs} ms`
          : describeFailure(thrown);
      } finally {
        clearTimeout(timer);
        this.aborts.delete(abort);
      }
    }
    if (this.stopped) return;
    const durationMs = Math.round(performance.now() - started);
    this.finished.push({ delivery, operatorId, at, durationMs, statusCode, error: error?.slice(0, MAX_ERROR) ?? null });
    if (this.finished.length === 1) setImmediate(() => void this.record());
  }

  /** Records the attempts finished since the last record, in one engine turn; then frees their slots. */
  private async record(): Promise<void> {
    const batch = this.finished;
    this.finished = [];
    const cfg = this.deps.config;
    const now = this.now();
    let nextRetry = Infinity;
    try {
      await this.deps.command((turn) => {
        for (const o of batch) {
          const attempts = o.delivery.attempts + 1;
          const gone = this.deps.registry.get(o.delivery.webhookId) === undefined;
          let status: WebhookDeliveryRow['status'] = 'delivered';
          let nextAttemptAt: number | null = null;
          if (o.error !== null) {
            if (attempts >= cfg.webhookMaxAttempts || gone) status = 'failed';
            else {
              status = 'pending';
              const backoff = Math.min(cfg.webhookRetryMaxMs, cfg.webhookRetryBaseMs * 2 ** (attempts - 1));
              // Jitter spreads the retries of many deliveries to one receiver that came back.
              nextAttemptAt = now + Math.round(backoff * (0.75 + Math.random() / 2));
              nextRetry = Math.min(nextRetry, nextAttemptAt);
            }
          }
          turn.changes.push({
            op: 'webhook.attempt',
            row: {
              deliveryId: o.delivery.id,
              attempt: attempts,
              at: o.at,
              durationMs: o.durationMs,
              statusCode: o.statusCode,
              error: o.error,
            },
            delivery: { status, attempts, nextAttemptAt, updatedAt: turn.now },
          });
          if (status === 'failed' && !gone) {
            turn.event(
              'webhook.failed',
              {
                operatorId: o.operatorId,
                webhookId: o.delivery.webhookId,
                deliveryId: o.delivery.id,
                attempts,
                error: o.error ?? '',
              },
              { operatorId: o.operatorId },
            );
          }
        }
      });
    } catch (error) {
      // The engine stopped (shutting down, or a storage failure): the attempts are due again at the next start.
      if (!this.stopped) this.deps.log.warn({ err: error }, 'webhook attempts not recorded');
    }
    for (const o of batch) this.inFlight.delete(o.delivery.id);
    if (nextRetry < Infinity) this.retryAfter(nextRetry);
    this.wake();
  }

  /** Wakes at `at` (the earliest retry known), unless an earlier wake-up is already set. */
  private retryAfter(at: number): void {
    if (this.stopped || at >= this.retryAt) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(
      () => {
        this.retryAt = Infinity;
        this.retryTimer = null;
        this.wake();
      },
      Math.max(0, at - this.now()),
    );
    this.retryTimer.unref();
  }
}

/** What went wrong with a request that got no answer, as a person reads it (fetch hides the cause's code). */
function describeFailure(thrown: unknown): string {
  const cause = (thrown as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return coerceError(thrown).message;
}
