/**
 * The per-worker connection limit (--max-connections) with accept back-off. At the
 * limit a worker stops accepting instead of accepting and closing: connections stay in
 * the kernel's backlog, where another worker (or this one, once below the limit) takes
 * them, so a crowd of idle connections on one worker never costs the others anything.
 *
 * The decision is a pure function of the open count, the limit and whether accepting is
 * paused; transports hold the state and do the OS part (stop or restart watching their
 * listening sockets).
 */

export const enum AcceptAction {
  NONE = 0,
  PAUSE = 1,
  RESUME = 2,
}

/** What to do after the open-connection count changed. A limit of 0 means no limit. */
export function acceptAction(open: number, limit: number, paused: boolean): AcceptAction {
  if (paused) return limit <= 0 || open < limit ? AcceptAction.RESUME : AcceptAction.NONE;
  return limit > 0 && open >= limit ? AcceptAction.PAUSE : AcceptAction.NONE;
}

/** Pauses are logged at most once per this interval (with the count since the last line):
 * a worker that sits at its limit under a flood would otherwise log once per accept. */
export const ACCEPT_PAUSE_LOG_INTERVAL_MS = 10_000;

/** Whether a pause at `now` gets a log line, given when the last one was written. */
export function shouldLogPause(now: number, lastLoggedAt: number | null): boolean {
  return lastLoggedAt === null || now - lastLoggedAt >= ACCEPT_PAUSE_LOG_INTERVAL_MS;
}
