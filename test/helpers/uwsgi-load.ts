/**
 * A uwsgi load generator in a process of its own, so the caller's event loop only measures
 * what it came to measure (scrapes, say): `concurrency` clients sending GET requests
 * straight to the socket back to back until it is killed. It prints the number of
 * requests done every 100 ms; served() is the last number printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface UwsgiLoad {
  child: ChildProcess;
  served(): number;
}

export function startUwsgiLoad(socketPath: string, concurrency: number, uri: string): UwsgiLoad {
  const client = path.join(__dirname, 'uwsgi-client.js');
  const script = `
    const c = require(${JSON.stringify(client)});
    const request = c.packet(c.nginxVars('GET', ${JSON.stringify(uri)}));
    let n = 0;
    const one = async () => { for (;;) { await c.rawExchange(${JSON.stringify(socketPath)}, request); n++; } };
    for (let i = 0; i < ${concurrency}; i++) one();
    setInterval(() => process.stdout.write(n + '\\n'), 100);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let served = 0;
  child.stdout!.on('data', (d: Buffer) => {
    const last = d.toString().trim().split('\n').pop();
    if (last) served = Number(last);
  });
  return { child, served: () => served };
}
