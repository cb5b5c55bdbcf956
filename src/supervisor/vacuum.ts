/**
 * Vacuum (on by default, --no-vacuum turns it off): the files a master created — unix
 * socket files and the pidfile — are removed when it exits, whichever way: after a stop,
 * after a fast stop, and after a crash (an uncaught exception still runs process 'exit'
 * handlers). Only SIGKILL leaves them; the next start replaces a stale socket file and a
 * stale pidfile by itself.
 *
 * Each removal checks that the file is still the one this master made (same inode for a
 * socket, our pid in the pidfile), so a master never removes a newer master's files.
 */
export class Vacuum {
  private readonly removals = new Map<string, () => void>();
  private installed: (() => void) | null = null;

  constructor(readonly enabled: boolean) {}

  /** Registers the removal of one file, run once at exit (replaces an earlier one for `file`). */
  track(file: string, remove: () => void): void {
    if (this.enabled) this.removals.set(file, remove);
  }

  /** Removes every tracked file now; each removal runs at most once and never throws. */
  sweep(): void {
    for (const [file, remove] of [...this.removals]) {
      this.removals.delete(file);
      try {
        remove();
      } catch {
        // Exiting: a file that cannot be removed is left behind, nothing more to do.
      }
    }
  }

  /** Sweeps on process exit, however the exit comes (process 'exit' handlers must be synchronous). */
  installExitHook(): void {
    if (this.installed !== null) return;
    this.installed = () => this.sweep();
    process.on('exit', this.installed);
  }

  uninstallExitHook(): void {
    if (this.installed === null) return;
    process.off('exit', this.installed);
    this.installed = null;
  }
}
