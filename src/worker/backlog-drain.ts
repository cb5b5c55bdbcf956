/**
 * A stopping worker first empties the listen queue: connections that waited there when
 * the stop began are accepted and served, not left for the master to reset when it
 * closes the sockets (a full stop) — the failure of servers that stop accepting the
 * moment they get SIGTERM. The worker keeps accepting until no socket has a connection
 * waiting, bounded in time, since under steady traffic the queue may never be empty.
 * Without the addon there is no way to look at the queue, and the worker accepts for a
 * fixed short window instead.
 */

/** Longest a stopping worker keeps accepting to empty the queue. */
export const BACKLOG_DRAIN_MAX_MS = 1000;
/** How often the queue is looked at while draining. */
export const BACKLOG_DRAIN_CHECK_MS = 10;
/** Without the addon: accept this long after the stop signal (a few loop turns, in which
 * libuv accepts everything the queue holds), then stop. */
export const BACKLOG_DRAIN_BLIND_MS = 100;

/** Reads whether a listening fd has a connection waiting: 1, 0 or a negative errno. */
export type PendingProbe = (fd: number) => number;

/** Pure: keep accepting while a socket has a connection waiting, within the bound; an
 * fd that cannot be probed (negative errno) counts as empty. */
export function keepDraining(pending: readonly number[], elapsedMs: number, probe: boolean): boolean {
  if (!probe) return elapsedMs < BACKLOG_DRAIN_BLIND_MS;
  return elapsedMs < BACKLOG_DRAIN_MAX_MS && pending.some((p) => p === 1);
}

/** Resolves when the queue of every fd is empty, or the bound is reached. */
export function drainBacklog(fds: readonly number[], probe: PendingProbe | null, now: () => number = Date.now): Promise<void> {
  const started = now();
  return new Promise((resolve) => {
    const check = () => {
      const pending = probe === null ? [] : fds.map((fd) => probe(fd));
      if (!keepDraining(pending, now() - started, probe !== null)) {
        resolve();
        return;
      }
      setTimeout(check, BACKLOG_DRAIN_CHECK_MS);
    };
    // One loop turn first, so connections already readable are accepted in any case.
    setImmediate(check);
  });
}
