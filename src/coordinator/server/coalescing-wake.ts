/**
 * A reader woken by LISTEN/NOTIFY: `wake` starts one run of its work, and
 * wake-ups that come during a run fold into a single run after it, so a
 * burst of notifications costs at most two reads and no wake-up is lost
 * (the run after the burst sees everything the burst announced).
 *
 *   idle ──wake──▶ running ──wake──▶ running, again ──run ends──▶ running ──run ends──▶ idle
 */
export class CoalescingWake {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  /** `work` reads what the wake-up announced; `onError` hears its failures (the next wake-up retries). */
  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** No run starts after this; resolves when the one in progress ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.work();
      } catch (error) {
        this.onError(error);
      }
    } while (this.again && !this.stopped);
    this.running = null;
  }
}
