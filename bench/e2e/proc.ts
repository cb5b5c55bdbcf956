/**
 * What the benchmark reads from /proc: CPU time (utime + stime) and RSS of a process tree.
 * CPU per request is the backend's CPU time over the measured window divided by the
 * requests served in it: steadier than req/s on a shared machine, and the number the
 * server's own code controls.
 */
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of utime/stime (sysconf(_SC_CLK_TCK), 100 on Linux). */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

/** Parses /proc/PID/stat. The command name (field 2) may hold spaces and parentheses, so
 * the fields are counted from the last ')'. */
export function parseStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After ')': state(3) ppid(4) ... utime(14) stime(15), so index 0 here is field 3.
  const fields = text.slice(close + 2).split(' ');
  return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // gone
  }
}

/** Resident memory in bytes: all of it (VmRSS) and the file-backed part (RssFile: the
 * node binary's and libraries' pages, shared with other processes running them). */
export interface RssBytes {
  total: number;
  file: number;
}

function statusKiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** VmRSS and RssFile from /proc/PID/status. */
export function parseRss(status: string): RssBytes {
  return { total: statusKiB(status, 'VmRSS'), file: statusKiB(status, 'RssFile') };
}

export function readRss(pid: number): RssBytes {
  try {
    return parseRss(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return { total: 0, file: 0 };
  }
}

/** The pid and all its descendants alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat === null) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** CPU seconds used so far by these processes together. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.cpuTicks ?? 0;
  return ticks / CLOCK_TICKS;
}
