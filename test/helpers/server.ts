/**
 * Starts uwsgi-ts as a real process (bin/uwsgi-ts.js), the way an operator does, and
 * stops it by its pid. Output is captured so tests can assert on log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'uwsgi-ts.js');
export const FIXTURE_APPS = path.join(ROOT, 'test', 'fixtures', 'apps');

export interface StartOptions {
  /** App path (absolute, or relative to test/fixtures/apps). */
  app: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  workers?: number;
  /** Node options before the script (e.g. --require a test preload into the master). */
  nodeArgs?: string[];
  /** Working directory of the master (default: this process's). */
  cwd?: string;
  /** Wait until this many workers logged ready (default: workers). 0 = don't wait. */
  waitReady?: number;
  timeoutMs?: number;
}

export interface ServerProcess {
  pid: number;
  dir: string;
  socketPath: string;
  child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  waitExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function tempDir(prefix = 'uwsgi-ts-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const dir = tempDir();
  const socketPath = path.join(dir, 'app.sock');
  const app = path.isAbsolute(options.app) ? options.app : path.join(FIXTURE_APPS, options.app);
  const workers = options.workers ?? 1;
  const args = [...(options.nodeArgs ?? []), BIN, '--socket', socketPath, '--workers', String(workers), ...(options.args ?? []), app];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));

  const server: ServerProcess = {
    pid: child.pid!,
    dir,
    socketPath,
    child,
    output: () => out,
    async waitForOutput(pattern, timeoutMs = options.timeoutMs ?? 15_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.slice(from).match(pattern);
        if (m) return m;
        if (done) throw new Error(`server exited before ${pattern} appeared; output:\n${out}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${pattern}; output:\n${out}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    async waitExit(timeoutMs = 15_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      const r = await server.waitExit();
      fs.rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
  const waitReady = options.waitReady ?? workers;
  if (waitReady > 0) {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      const ready = (out.match(/worker_ready/g) ?? []).length;
      if (ready >= waitReady) break;
      if (done || Date.now() > deadline) {
        if (!done) child.kill('SIGKILL');
        throw new Error(`server did not get ${waitReady} ready workers; output:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return server;
}
