/**
 * A load generator for fault and soak tests: a fixed number of requests at a fixed
 * concurrency over kept-alive HTTP connections to nginx, counting every outcome.
 */
import * as http from 'node:http';

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  statuses: Map<number, number>;
  errorMessages: Map<string, number>;
}

export interface LoadOptions {
  requests: number;
  concurrency: number;
  path?: string;
  method?: string;
  body?: Buffer;
  /** Called after each completed request with the running totals. */
  onProgress?: (done: number) => void;
  /** Stop early when this returns true. */
  stop?: () => boolean;
}

export async function runLoad(baseUrl: string, o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const result: LoadResult = { ok: 0, non2xx: 0, errors: 0, statuses: new Map(), errorMessages: new Map() };
  let started = 0;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request(`${baseUrl}${o.path ?? '/'}`, { method: o.method ?? 'GET', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          result.statuses.set(res.statusCode!, (result.statuses.get(res.statusCode!) ?? 0) + 1);
          if (res.statusCode! >= 200 && res.statusCode! < 300) result.ok++;
          else result.non2xx++;
          resolve();
        });
        res.on('error', (err) => {
          result.errors++;
          result.errorMessages.set(err.message, (result.errorMessages.get(err.message) ?? 0) + 1);
          resolve();
        });
      });
      req.setTimeout(15_000, () => req.destroy(new Error('client timeout')));
      req.on('error', (err) => {
        result.errors++;
        result.errorMessages.set(err.message, (result.errorMessages.get(err.message) ?? 0) + 1);
        resolve();
      });
      req.end(o.body);
    });
  const lane = async () => {
    while (started < o.requests && !(o.stop?.() ?? false)) {
      started++;
      await one();
      done++;
      o.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  agent.destroy();
  return result;
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string;
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Open file descriptors of a process (Linux /proc). */
export function fdCount(pid: number): number {
  return (require('node:fs').readdirSync(`/proc/${pid}/fd`) as string[]).length;
}
