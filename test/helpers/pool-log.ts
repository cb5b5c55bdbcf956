/**
 * Reading the master's lifecycle log in tests: which workers became ready, which
 * exited, and waiting (bounded) for processes to be gone.
 */
export function readyPids(output: string, from = 0): number[] {
  return [...output.slice(from).matchAll(/worker_ready slot=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

export function exitedPids(output: string): number[] {
  return [...output.matchAll(/worker_exited slot=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Workers that logged ready and have not logged their exit. */
export function servingPids(output: string): number[] {
  const exited = new Set(exitedPids(output));
  return readyPids(output).filter((pid) => !exited.has(pid));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of the pids is alive; returns the ones still alive at the deadline. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function count(output: string, pattern: RegExp): number {
  return (output.match(new RegExp(pattern.source, 'g')) ?? []).length;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
