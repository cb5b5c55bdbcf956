/**
 * A uwsgi load generator in a process of its own, so the caller's event loop only measures
 * what it came to measure (scrapes, say): `concurrency` clients sending GET requests
 * straight to the socket back to back until it is killed. It prints the number of
 * requests done every REPORT_MS; served() is the last number printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** How often the load process reports its count. */
const REPORT_MS = 100;

export interface UwsgiLoad {
  child: ChildProcess;
  served(): number;
  /** The count of the next report, so that a count read after some work covers all of it. */
  nextReport(): Promise<number>;
  /** Waits until at least `count` requests were served or `timeoutMs` passed; the count. */
  waitServed(count: number, timeoutMs: number): Promise<number>;
}

export function startUwsgiLoad(socketPath: string, concurrency: number, uri: string): UwsgiLoad {
  const client = path.join(__dirname, 'uwsgi-client.js');
  const script = `
    const c = require(${JSON.stringify(client)});
    const request = c.packet(c.nginxVars('GET', ${JSON.stringify(uri)}));
    let n = 0;
    const one = async () => { for (;;) { await c.rawExchange(${JSON.stringify(socketPath)}, request); n++; } };
    for (let i = 0; i < ${concurrency}; i++) one();
    setInterval(() => process.stdout.write(n + '\\n'), ${REPORT_MS});
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let served = 0;
  let waiting: ((count: number) => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    const last = d.toString().trim().split('\n').pop();
    if (!last) return;
    served = Number(last);
    const wake = waiting;
    waiting = [];
    for (const w of wake) w(served);
  });
  const nextReport = () => new Promise<number>((resolve) => waiting.push(resolve));
  return {
    child,
    served: () => served,
    nextReport,
    async waitServed(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (served < count && Date.now() < deadline) {
        // Bounded even if the load process died and reports no more.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([nextReport(), new Promise((r) => (timer = setTimeout(r, deadline - Date.now())))]);
        clearTimeout(timer);
      }
      return served;
    },
  };
}
