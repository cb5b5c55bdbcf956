/**
 * CPU pinning for the end-to-end benchmark: the backends on some CPUs, nginx and wrk on
 * others (`--backend-cpus`, `--load-cpus`). On a machine with cores to spare this measures
 * what a backend can serve when it is the limit; unpinned, everything shares every core,
 * and on a small machine nginx's own work per request sets the pace.
 *
 * Pinning uses taskset (util-linux): `taskset -a -p -c LIST PID` for every thread of every
 * process already running (nginx and the backends, after they start), `taskset -c LIST`
 * in front of wrk. The affinity is read back from /proc so the report says what took.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { processTree } from './proc';

/**
 * The CPUs of a list such as "0-3,6" (taskset's -c syntax), sorted; throws naming the
 * option when the list is malformed or names a CPU this machine does not have.
 */
export function parseCpuList(option: string, list: string, cpuCount: number): number[] {
  const cpus = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`--${option}: "${list}" is not a CPU list (e.g. 0-3,6)`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new Error(`--${option}: range ${part} runs backwards`);
    if (last >= cpuCount) throw new Error(`--${option}: CPU ${last} does not exist (this machine has CPUs 0-${cpuCount - 1})`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** "0-3,6" for [0, 1, 2, 3, 6]: the form /proc and taskset print. */
export function formatCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Cpus_allowed_list of /proc/PID/status, or null when the process is gone. */
export function allowedCpus(pid: number): string | null {
  try {
    const m = /^Cpus_allowed_list:\s+(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/**
 * Pins every thread of root and its descendants to cpus; returns each process's affinity
 * as read back, distinct values only (one value when the pinning took everywhere).
 */
export function pinTree(root: number, cpus: readonly number[]): string[] {
  const list = formatCpuList(cpus);
  const readBack = new Set<string>();
  for (const pid of processTree(root)) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
    } catch (err) {
      // A process that exited in between is fine; anything else (no taskset) is not.
      if (allowedCpus(pid) === null) continue;
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install util-linux)' : '';
      throw new Error(`taskset could not pin pid ${pid} to CPUs ${list}${missing}: ${(err as Error).message}`);
    }
    const now = allowedCpus(pid);
    if (now !== null) readBack.add(now);
  }
  return [...readBack];
}

/** The command and arguments that run `command` on cpus (or as is without them). */
export function onCpus(cpus: readonly number[] | undefined, command: string, args: string[]): [string, string[]] {
  if (cpus === undefined) return [command, args];
  return ['taskset', ['-c', formatCpuList(cpus), command, ...args]];
}
