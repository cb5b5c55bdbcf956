/**
 * One nginx for the whole benchmark run: a server block (loopback port) per backend, the
 * way nginx is deployed (master + workers), access log off. Started once, stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { canConnect } from '../../test/helpers/nginx';

export { findNginx, freePort } from '../../test/helpers/nginx';


export interface NginxServer {
  port: number;
  location: string;
  httpExtra: string;
  serverExtra?: string;
}

export interface NginxSettings {
  dir: string;
  /** worker_processes: a number or "auto". */
  workers: string;
  servers: NginxServer[];
  /** Run workers as root (nginx drops to nobody otherwise, who cannot reach root's sockets). */
  asRoot: boolean;
}

export function nginxConf(s: NginxSettings): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `${kind}_temp_path ${path.join(s.dir, `${kind}_temp`)};`)
    .join('\n  ');
  const servers = s.servers
    .map(
      (srv) => `
  server {
    listen 127.0.0.1:${srv.port} backlog=4096;
    location / { ${srv.location} }
    ${srv.serverExtra ?? ''}
  }`,
    )
    .join('\n');
  return `${s.asRoot ? 'user root;' : ''}
worker_processes ${s.workers};
daemon off;
pid ${path.join(s.dir, 'nginx.pid')};
error_log ${path.join(s.dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${temp}
  # Requests stay on wrk's connections for the whole run.
  keepalive_requests 100000000;
  # 1 MiB request bodies stay in memory (no temp files) for every backend alike.
  client_max_body_size 4m;
  client_body_buffer_size 2m;
  ${s.servers.map((srv) => srv.httpExtra).join('\n  ')}
${servers}
}
`;
}

export interface RunningNginx {
  pid: number;
  stop(): Promise<void>;
}

export async function startNginx(bin: string, s: NginxSettings): Promise<RunningNginx> {
  const conf = path.join(s.dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConf(s));
  const child: ChildProcess = spawn(bin, ['-p', s.dir, '-c', conf, '-e', path.join(s.dir, 'nginx-error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  for (const { port } of s.servers) {
    while (!(await canConnect(port))) {
      if (child.exitCode !== null) throw new Error(`nginx exited at start-up: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGQUIT');
      }),
  };
}
