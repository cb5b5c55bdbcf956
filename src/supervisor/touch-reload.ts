/**
 * --touch-reload: polls the modification time of the listed files and reports a change
 * (a deploy tool touches the file after updating the code). Polling, not fs.watch: it
 * works on every file system, survives the file being replaced by a rename, and costs
 * one stat per file per interval.
 */
import * as fs from 'node:fs';

/** How often the files are checked: a reload starts within this long of the touch. */
export const TOUCH_RELOAD_POLL_MS = 1000;

/** What a file looked like at the last check: its mtime, or null when it did not exist. */
export type FileStamp = number | null;

/** A change is a different mtime or a file that appeared. A file that vanished is not
 * (yet): deploy tools remove and recreate it, and the recreation is the signal. Pure. */
export function touched(before: FileStamp, after: FileStamp): boolean {
  return after !== null && before !== after;
}

export function stampOf(file: string): FileStamp {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

export class TouchReloadWatcher {
  private readonly stamps = new Map<string, FileStamp>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly files: readonly string[],
    private readonly onTouched: (file: string) => void,
    private readonly intervalMs = TOUCH_RELOAD_POLL_MS,
  ) {}

  /** Starts polling; returns the files that do not exist yet (creating one is a touch). */
  start(): string[] {
    for (const file of this.files) this.stamps.set(file, stampOf(file));
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
    return this.files.filter((file) => this.stamps.get(file) === null);
  }

  check(): void {
    for (const file of this.files) {
      const now = stampOf(file);
      const before = this.stamps.get(file) ?? null;
      this.stamps.set(file, now);
      if (touched(before, now)) this.onTouched(file);
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
