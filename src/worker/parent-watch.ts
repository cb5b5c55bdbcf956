/**
 * No orphans, however the master dies: once the worker's parent is no longer the master,
 * the worker gets `exitAfterMs` (its graceful time, which its own 'disconnect' handling
 * uses to finish in-flight requests) and is then ended with SIGKILL.
 *
 * Two implementations with one contract. The native one (native/parent_watch.cc) runs on
 * an OS thread, so it also ends a worker whose event loop is stuck in `while (true) {}`;
 * the JS twin, used when the addon is missing, runs on the event loop and so only covers
 * a loop that runs.
 */
import type { NativeAddon } from '../addon';

/** How often the JS twin looks at its parent pid (the native one uses the same period). */
export const PARENT_POLL_MS = 500;

/** The watch's result: 0, or a negative errno (EINVAL: bad arguments; EALREADY: already running). */
export type WatchParent = (masterPid: number, exitAfterMs: number) => number;

const EINVAL = 22;
const EALREADY = 114;
let jsStarted = false;

/** The JS twin of the native watchParent. */
export const watchParentJs: WatchParent = (masterPid, exitAfterMs) => {
  if (!Number.isInteger(masterPid) || masterPid <= 0 || !Number.isInteger(exitAfterMs) || exitAfterMs < 0) return -EINVAL;
  if (jsStarted) return -EALREADY;
  jsStarted = true;
  const poll = setInterval(() => {
    if (process.ppid === masterPid) return;
    clearInterval(poll);
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), exitAfterMs).unref();
  }, PARENT_POLL_MS);
  poll.unref();
  return 0;
};

/** The native watch where the addon loaded, else the JS twin. */
export function parentWatch(addon: NativeAddon | null): { kind: 'native' | 'js'; watch: WatchParent } {
  return addon ? { kind: 'native', watch: addon.watchParent } : { kind: 'js', watch: watchParentJs };
}
