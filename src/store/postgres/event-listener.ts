/**
 * LISTEN on the schema's event channel over a connection of its own. A
 * notification carries nothing: it only says "the log grew", and the reader
 * then reads by seq. When the connection drops, the listener reconnects and
 * wakes its reader once, since commits may have happened in between.
 */
import pg from 'pg';

export class EventListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  /** Resolves once the first LISTEN is in place. */
  readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onWake: () => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.ready = this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    const lost = (error?: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      void client.end().catch(() => undefined);
      if (error) this.onError(error);
      this.schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.onWake());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      if (this.stopped) await this.stop();
      // Commits may have happened while no one listened.
      else this.onWake();
    } catch (error) {
      void client.end().catch(() => undefined);
      this.onError(error);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.retry) return;
    // 250 ms: a restarted database is back within seconds; retrying faster only adds refused connections.
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, 250);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
