/**
 * One coarse timer for every per-connection deadline (head read, body idle, drain),
 * instead of a timer object per connection: arming a deadline is a Set insert, and a
 * connection that finishes in time (nearly all) costs one Set delete. Deadlines are
 * seconds long, so firing up to one sweep interval late is harmless.
 */
export interface DeadlineItem {
  /** Milliseconds since the epoch; the sweeper calls onDeadline once at or after it. */
  deadlineAt: number;
  onDeadline(): void;
}

/** Sweep period: deadlines are >= 1 s, so 250 ms keeps them within a quarter second. */
export const SWEEP_INTERVAL_MS = 250;

export class DeadlineSweeper {
  private readonly items = new Set<DeadlineItem>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs = SWEEP_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  arm(item: DeadlineItem): void {
    this.items.add(item);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      // Deadlines must never keep a worker alive on their own.
      this.timer.unref();
    }
  }

  disarm(item: DeadlineItem): void {
    this.items.delete(item);
  }

  get size(): number {
    return this.items.size;
  }

  sweep(): void {
    const t = this.now();
    for (const item of this.items) {
      if (item.deadlineAt <= t) {
        this.items.delete(item);
        item.onDeadline();
      }
    }
    if (this.items.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.items.clear();
  }
}
