/**
 * SIGUSR1 (logrotate's postrotate signal): every log file a process writes is reopened.
 * Whatever opens a log file registers how to reopen it here; the master and the workers
 * run the registered hooks on SIGUSR1 (the master first, then it forwards the signal).
 */
import type { Logger } from './log';

const hooks = new Set<() => void>();

/** Registers a reopen hook; returns the function that removes it. */
export function onReopenLogs(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Runs every hook; a failing one is logged and does not stop the others. */
export function reopenLogs(log: Logger): number {
  let failed = 0;
  for (const hook of hooks) {
    try {
      hook();
    } catch (err) {
      failed++;
      log.error('reopen_logs_failed', { error: String((err as Error)?.message ?? err) });
    }
  }
  return failed;
}
