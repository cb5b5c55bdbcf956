/**
 * Runs wrk (the Debian package) and reads its report: requests, req/s, the latency
 * percentiles of --latency, and every kind of failure it counts.
 */
import { execFile } from 'node:child_process';
import { onCpus } from './pinning';

export interface WrkResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connect/read/write/timeout socket errors plus non-2xx/3xx responses. */
  errors: number;
}

/** A wrk duration ("208.00us", "2.53ms", "1.50s", "1m") in milliseconds. */
function toMs(value: string, unit: string): number {
  const v = Number(value);
  if (unit === 'us') return v / 1000;
  if (unit === 's') return v * 1000;
  if (unit === 'm') return v * 60_000;
  return v;
}

function latencyMs(text: string, percentile: string): number {
  const m = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
  if (!m) throw new Error(`no ${percentile}% latency in wrk output:\n${text}`);
  return toMs(m[1], m[2]);
}

export function parseWrk(text: string): WrkResult {
  const done = /^\s+(\d+) requests in ([\d.]+)(us|ms|s|m),/m.exec(text);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!done || !rps) throw new Error(`unexpected wrk output:\n${text}`);
  let errors = 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (socket) errors += socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (non2xx) errors += Number(non2xx[1]);
  return {
    requests: Number(done[1]),
    seconds: toMs(done[2], done[3]) / 1000,
    reqPerSec: Number(rps[1]),
    p50Ms: latencyMs(text, '50'),
    p99Ms: latencyMs(text, '99'),
    errors,
  };
}

export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  threads: number;
  script?: string;
  /** Run wrk on these CPUs only (taskset); absent: wherever the scheduler puts it. */
  cpus?: readonly number[];
}

export function wrkArgs(o: WrkOptions): string[] {
  // wrk takes whole seconds only.
  if (!Number.isInteger(o.seconds) || o.seconds < 1) throw new Error(`wrk durations are whole seconds, got ${o.seconds}`);
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--latency'];
  if (o.script !== undefined) args.push('-s', o.script);
  args.push(o.url);
  return args;
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const [command, args] = onCpus(o.cpus, 'wrk', wrkArgs(o));
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: (o.seconds + 30) * 1000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ` (install the Debian package ${command === 'wrk' ? 'wrk' : 'util-linux'})` : '';
        reject(new Error(`wrk failed${missing}: ${err.message}\n${stdout}${stderr}`));
        return;
      }
      try {
        resolve(parseWrk(stdout));
      } catch (parseErr) {
        reject(parseErr as Error);
      }
    });
  });
}
