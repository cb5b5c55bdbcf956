/**
 * The servers the end-to-end benchmark compares, each started the way its users run it
 * with one worker process, and how nginx reaches it. Every backend answers the same three
 * routes (bench/apps): GET / (hello), GET /64k, POST / (reads the body, answers its length).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { processTree } from './proc';

export interface BenchContext {
  /** The package root (bench/apps/). */
  root: string;
  /** The root of the uwsgi-ts package under test (bin/uwsgi-ts.js); usually root. */
  uwsgiTsRoot: string;
  /** A private temp dir for sockets and logs. */
  dir: string;
  uwsgiParams: string;
}

export interface Backend {
  /** nginx directives inside `location / { }`. */
  location: string;
  /** nginx directives at http level (an upstream block), if any. */
  httpExtra: string;
  /** Further nginx directives in the backend's server block (other locations), if any. */
  serverExtra?: string;
  /** The process whose tree is the backend (master and workers); null: nginx alone. */
  rootPid: number | null;
  /** The processes that serve requests (whose RSS is "worker RSS"). */
  workerPids(): number[];
  stop(): Promise<void>;
}

export interface BackendSpec {
  name: string;
  description: string;
  /** Run only when --backends names it (a variant measured on its own, not in every run). */
  optional?: boolean;
  start(ctx: BenchContext): Promise<Backend>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** Whether this uwsgi-ts has the --io option (the native connection path). */
export function uwsgiTsHasIo(root: string): boolean {
  const help = execFileSync(process.execPath, [path.join(root, 'bin', 'uwsgi-ts.js'), '--help'], { encoding: 'utf8' });
  return /--io\b/.test(help);
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

interface Spawned {
  child: ChildProcess;
  log: string;
}

function spawnLogged(ctx: BenchContext, name: string, command: string, args: string[]): Spawned {
  const log = path.join(ctx.dir, `${name}.log`);
  const out = fs.openSync(log, 'w');
  const child = spawn(command, args, { cwd: ctx.root, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return { child, log };
}

/** Waits until `ready` shows in the server's log (its output unless it logs to a file) and its socket takes connections. */
async function waitReady(p: Spawned, socketPath: string, ready: RegExp, log = p.log): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    if (ready.test(text) && (await canConnect(socketPath))) return;
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`exited at start-up:\n${text}`);
    if (Date.now() > deadline) throw new Error(`not ready within ${START_TIMEOUT_MS} ms:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
}

/** A master + workers server that nginx reaches with uwsgi_pass, once it is ready. */
async function uwsgiProtocolBackend(ctx: BenchContext, p: Spawned, socketPath: string, ready: RegExp, log?: string): Promise<Backend> {
  await waitReady(p, socketPath, ready, log);
  const rootPid = p.child.pid!;
  return {
    location: `include ${ctx.uwsgiParams}; uwsgi_pass unix:${socketPath};`,
    httpExtra: '',
    rootPid,
    workerPids: () => processTree(rootPid).filter((pid) => pid !== rootPid),
    stop: stopper(p.child, 'SIGTERM'),
  };
}

/**
 * The request-log flags, which uwsgi-ts and uWSGI spell alike: by default none
 * (--disable-logging: node:http logs nothing), else --logto a file, whose path comes back
 * too because start-up lines then go there instead of to the output.
 */
function requestLogging(ctx: BenchContext, name: string, on: boolean): { args: string[]; logFile?: string } {
  if (!on) return { args: ['--disable-logging'] };
  const logFile = path.join(ctx.dir, `${name}-requests.log`);
  return { args: ['--logto', logFile], logFile };
}

/** A server nginx reaches with uwsgi_pass, started by `spawnServer` on its socket with
 * the request-log flags; ready once `ready` shows in its log. */
function uwsgiProtocolSpec(
  name: string,
  description: string,
  requestLog: boolean,
  ready: RegExp,
  spawnServer: (ctx: BenchContext, socketPath: string, logArgs: string[]) => Spawned,
): BackendSpec {
  return {
    name,
    description,
    optional: requestLog,
    async start(ctx) {
      const socketPath = path.join(ctx.dir, `${name}.sock`);
      const logging = requestLogging(ctx, name, requestLog);
      return uwsgiProtocolBackend(ctx, spawnServer(ctx, socketPath, logging.args), socketPath, ready, logging.logFile);
    },
  };
}

function uwsgiTs(name: string, description: string, app: string, io: 'native' | 'js' | null, requestLog = false): BackendSpec {
  return uwsgiProtocolSpec(name, description, requestLog, /worker_ready/, (ctx, socketPath, logArgs) => {
    const args = [path.join(ctx.uwsgiTsRoot, 'bin', 'uwsgi-ts.js'), '--socket', socketPath, '--workers', '1', ...logArgs];
    if (io !== null) args.push('--io', io);
    args.push(path.join(ctx.root, 'bench', 'apps', app));
    return spawnLogged(ctx, name, process.execPath, args);
  });
}

function nodeHttp(name: string, description: string, app: string): BackendSpec {
  return {
    name,
    description,
    async start(ctx) {
      const socketPath = path.join(ctx.dir, `${name}.sock`);
      const p = spawnLogged(ctx, name, process.execPath, [
        path.join(ctx.root, 'bench', 'apps', 'node-http-server.js'),
        socketPath,
        path.join(ctx.root, 'bench', 'apps', app),
      ]);
      await waitReady(p, socketPath, /listening/);
      const rootPid = p.child.pid!;
      const upstream = name.replace(/[^a-z0-9]/g, '_');
      return {
        // Upstream keepalive: nginx reuses its connections to node:http (the fair setup
        // for proxy_pass; uwsgi_pass cannot keep connections alive).
        httpExtra: `upstream ${upstream} { server unix:${socketPath}; keepalive 64; }`,
        location: `proxy_pass http://${upstream}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;`,
        rootPid,
        workerPids: () => [rootPid],
        stop: stopper(p.child, 'SIGTERM'),
      };
    },
  };
}

function uwsgiC(name: string, description: string, requestLog: boolean): BackendSpec {
  return uwsgiProtocolSpec(name, description, requestLog, /spawned uWSGI worker 1/, (ctx, socketPath, logArgs) =>
    spawnLogged(ctx, name, 'uwsgi', [
      '--plugin', 'python3',
      '--master',
      '--processes', '1',
      '--socket', socketPath,
      '--listen', '1024',
      '--wsgi-file', path.join(ctx.root, 'bench', 'apps', 'hello.py'),
      ...logArgs,
      '--die-on-term',
      '--need-app',
    ]),
  );
}

const nginxReturn: BackendSpec = {
  name: 'nginx-return',
  description: 'nginx alone (return 200 / a static 64 KiB file): the ceiling',
  async start(ctx) {
    const big = path.join(ctx.dir, '64k');
    fs.writeFileSync(big, Buffer.alloc(65536, 0x61));
    return {
      // /64k is a file; every other request, POSTs included, gets the hello answer.
      location: `default_type text/plain; return 200 "hello world\\n";`,
      serverExtra: `location = /64k { default_type application/octet-stream; alias ${big}; }`,
      httpExtra: '',
      rootPid: null,
      workerPids: () => [],
      stop: async () => {},
    };
  },
};

/** Every backend, in the order the tables list them (uwsgiTsRoot: the uwsgi-ts under test). */
export function allBackends(uwsgiTsRoot: string): BackendSpec[] {
  const io = uwsgiTsHasIo(uwsgiTsRoot);
  const list: BackendSpec[] = [];
  if (io) {
    list.push(
      uwsgiTs('uwsgi-ts-native', 'uwsgi-ts, native connection path (--io native), uwsgi handler app', 'hello-uwsgi.js', 'native'),
      uwsgiTs('uwsgi-ts-js', 'uwsgi-ts, JS path (--io js), uwsgi handler app', 'hello-uwsgi.js', 'js'),
      uwsgiTs('uwsgi-ts-listener', 'uwsgi-ts, native connection path, plain (req, res) app', 'hello.js', 'native'),
      uwsgiTs('uwsgi-ts-logged', 'uwsgi-ts-native with its request log on, to a file (--logto)', 'hello-uwsgi.js', 'native', true),
    );
  } else {
    list.push(uwsgiTs('uwsgi-ts-js', 'uwsgi-ts, JS path, plain (req, res) app', 'hello.js', null));
  }
  list.push(
    uwsgiTs('uwsgi-ts-express', `uwsgi-ts${io ? ' (default I/O path)' : ''}, Express app`, 'express-hello.js', null),
    nodeHttp('node-http', 'node:http, plain (req, res) app, proxy_pass + upstream keepalive', 'hello.js'),
    nodeHttp('node-http-express', 'node:http, Express app, proxy_pass + upstream keepalive', 'express-hello.js'),
    uwsgiC('uwsgi-c', 'uWSGI 2.0 (C) + Python WSGI hello, uwsgi_pass', false),
    uwsgiC('uwsgi-c-logged', 'uwsgi-c with its request log on, to a file (--logto)', true),
    nginxReturn,
  );
  return list;
}
