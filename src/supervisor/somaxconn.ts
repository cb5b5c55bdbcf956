/**
 * --listen and the kernel's cap: listen(2) silently truncates the backlog to
 * net.core.somaxconn, so a --listen above it is not what the socket gets. Say so at start,
 * with the sysctl to raise, instead of letting nginx's 502s ("connect() to unix:… failed
 * (11: Resource temporarily unavailable)") be the first sign.
 */
import { readFileSync } from 'node:fs';

/** Per network namespace: a container has its own value. */
export const SOMAXCONN_PATH = '/proc/sys/net/core/somaxconn';

/** The kernel's backlog cap, or null where it cannot be read (not Linux, no /proc). */
export function readSomaxconn(file: string = SOMAXCONN_PATH): number | null {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** The warning for a backlog the kernel caps, or null when it is not capped (or the cap is unknown). */
export function backlogCapWarning(backlog: number, somaxconn: number | null): string | null {
  if (somaxconn === null || backlog <= somaxconn) return null;
  return (
    `--listen ${backlog} is capped by the kernel to net.core.somaxconn = ${somaxconn}: the listen queue holds only ` +
    `${somaxconn} connections. Raise it with \`sysctl -w net.core.somaxconn=${backlog}\` (and a file in /etc/sysctl.d/ ` +
    `to keep it; in a container, the pod's or container's sysctls), or lower --listen`
  );
}
