/**
 * A real nginx for the tests: generated config in a temp dir, a loopback port, started
 * in the foreground (one process, stopped by its pid). When nginx is missing the tests
 * that need it fail with the command that installs it; they are never skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
const UWSGI_PARAMS_CANDIDATES = ['/etc/nginx/uwsgi_params', '/usr/local/nginx/conf/uwsgi_params'];
const START_TIMEOUT_MS = 10_000;

export function findNginx(): { bin: string; uwsgiParams: string } {
  const bin = NGINX_CANDIDATES.find((p) => fs.existsSync(p));
  const uwsgiParams = UWSGI_PARAMS_CANDIDATES.find((p) => fs.existsSync(p));
  if (!bin || !uwsgiParams) {
    throw new Error('nginx is not installed: these tests need a real nginx. Run `apt-get update && apt-get install -y nginx`.');
  }
  return { bin, uwsgiParams };
}

export interface NginxOptions {
  /** `unix:/path` or `127.0.0.1:3031`, as in uwsgi_pass. */
  upstream: string;
  /** Extra directives inside http {}. */
  httpExtra?: string;
  /** Extra directives inside the default location. */
  locationExtra?: string;
}

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  pid: number;
  errorLog(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const { bin, uwsgiParams } = findNginx();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, sub));
  const port = await freePort();
  const conf = `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  large_client_header_buffers 8 64k;
  ${options.httpExtra ?? ''}
  server {
    listen 127.0.0.1:${port};
    location / {
      include ${uwsgiParams};
      uwsgi_pass ${options.upstream};
      ${options.locationExtra ?? ''}
    }
    location /stream/ {
      include ${uwsgiParams};
      uwsgi_pass ${options.upstream};
      uwsgi_buffering off;
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = spawn(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start-up: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${port} within ${START_TIMEOUT_MS} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const errorLogPath = path.join(dir, 'error.log');
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    pid: child.pid!,
    errorLog: () => (fs.existsSync(errorLogPath) ? fs.readFileSync(errorLogPath, 'utf8') : ''),
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
