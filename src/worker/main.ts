/**
 * The worker process: loads the app once, accepts on the sockets the master passed
 * down, serves until told to stop. Signals mean the same as for the master: TERM =
 * graceful (stop accepting, finish in-flight requests, exit), INT/QUIT = fast. When the
 * master goes away (the IPC channel closes, or the parent pid changes) the worker stops
 * gracefully and exits within the graceful timeout: no orphans. USR1 reopens log files.
 */
import * as http from 'node:http';
import { createLogger } from '../log';
import { ExitCode } from '../exit-codes';
import { selectVarsParser } from '../protocol/vars-parser';
import { loadAddon } from '../addon';
import { AppLoadError, appFromExports, describeExports, importApp, type LoadedApp } from './app-loader';
import { createDispatch } from './dispatch';
import { JsTransport, type Transport } from './js-transport';
import { selectTransport } from './transport-select';
import { ListenCapture } from './listen-capture';
import { ProtocolCounters } from './protocol-counters';
import { PeerAllowList } from './peer-allow-list';
import { startWorkerTelemetry } from '../metrics/worker-telemetry';
import { reopenOnSignal, requestLogFor, startLogging } from '../log/process-logging';
import type { LogOutput } from '../log/log-output';
import { FIRST_SOCKET_FD, readWorkerSettings, type WorkerMessage } from './settings';
import { Heartbeat, type BeatSample } from './heartbeat';
import { performance } from 'node:perf_hooks';
import { RequestCounter } from './request-counter';
import { RequestDeadlines } from './request-deadline';
import { LoopWatchdog } from './loop-watchdog';
import type { RequestHandler } from './exchange';
import { reopenLogs } from '../reopen-logs';
import { drainBacklog } from './backlog-drain';
import { parentWatch } from './parent-watch';
import { dropPrivileges, processIdentityCalls, PrivilegeError } from '../supervisor/privileges';
import { applyWorkerV8Flags } from './v8-flags';

applyWorkerV8Flags();
const settings = readWorkerSettings(process.env);
const log = createLogger(`worker ${settings.slot}`);
const logOutput = startWorkerLogging();

/** Logging as the master configured it; a --logto file that cannot be opened here (the
 * master opened it, so this is rare: a permission after --uid) falls back to stderr. */
function startWorkerLogging(): LogOutput {
  let output: LogOutput;
  try {
    output = startLogging(settings.log);
  } catch (err) {
    output = startLogging({ ...settings.log, logto: null });
    log.error('log_open_failed', { error: (err as Error).message, effect: 'logging to stderr' });
  }
  reopenOnSignal(output);
  return output;
}

type Phase = 'booting' | 'serving' | 'stopping';
let phase: Phase = 'booting';
let transport: Transport | null = null;
const afterStop: (() => void)[] = [];
let heartbeat: Heartbeat | null = null;
const counter = new RequestCounter(settings.maxRequests, () => {
  log.info('max_requests_reached', { requests: settings.maxRequests, note: 'the master replaces this worker when its successor is ready' });
  heartbeat?.beatNow();
});

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

function exit(code: number): never {
  process.exit(code);
}

function finishStop(): void {
  for (const done of afterStop.splice(0)) {
    try {
      done();
    } catch (err) {
      log.error('app_error', { during: 'server close callback', error: String((err as Error)?.stack ?? err) });
    }
  }
  // Callbacks may have exited the process themselves; otherwise leave on the next tick.
  setImmediate(() => exit(ExitCode.OK));
}

function gracefulStop(reason: string): void {
  heartbeat?.stop();
  if (phase === 'stopping') return;
  const wasBooting = phase === 'booting';
  phase = 'stopping';
  log.info('stopping', { mode: 'graceful', reason });
  send({ type: 'uwsgi_ts:stopping', reason });
  if (wasBooting || transport === null) {
    finishStop();
    return;
  }
  const t = transport;
  const addon = loadAddon();
  void drainBacklog(socketFds(), addon.ok ? addon.addon.hasPending : null).then(() => {
    t.onIdle = finishStop;
    void t.stopAccepting();
  });
}

function socketFds(): number[] {
  return Array.from({ length: settings.socketCount }, (_, i) => FIRST_SOCKET_FD + i);
}

function fastStop(reason: string): void {
  log.info('stopping', { mode: 'fast', reason });
  transport?.destroyAll();
  exit(ExitCode.OK);
}

process.on('SIGTERM', () => gracefulStop('SIGTERM'));
process.on('SIGINT', () => fastStop('SIGINT'));
process.on('SIGQUIT', () => fastStop('SIGQUIT'));
let orphaned = false;
function masterGone(how: string): void {
  if (orphaned) return;
  orphaned = true;
  gracefulStop(`the master went away (${how})`);
  // In-flight requests get the graceful timeout, as under a graceful stop of the master.
  setTimeout(() => exit(ExitCode.OK), settings.orphanExitAfterMs).unref();
}

process.on('disconnect', () => masterGone('IPC channel closed'));

/** Past the graceful time the 'disconnect' handling above uses, so that a worker whose loop
 * runs always ends that way first; the watch only ends the ones that cannot. */
const ORPHAN_KILL_MARGIN_MS = 1000;
{
  const addon = loadAddon();
  const watch = parentWatch(addon.ok ? addon.addon : null);
  const status = watch.watch(settings.masterPid, settings.orphanExitAfterMs + ORPHAN_KILL_MARGIN_MS);
  if (status !== 0) log.warn('parent_watch_failed', { errno: -status, effect: 'a worker stuck in a loop could outlive its master' });
}
// Also keeps Node from starting its inspector on SIGUSR1 (its default).
process.on('SIGUSR1', () => {
  const failed = reopenLogs(log);
  log.info('reopen_logs', { failed });
});
process.on('uncaughtException', (err) => {
  log.error('uncaught_exception', { error: String(err?.stack ?? err) });
});
process.on('unhandledRejection', (reason) => {
  log.error('unhandled_rejection', { error: String((reason as Error)?.stack ?? reason) });
});

async function loadApp(): Promise<LoadedApp> {
  let captured: http.Server | null = null;
  let onCapture: (() => void) | null = null;
  const capture = new ListenCapture({
    onListen(server, requested) {
      log.info('app_listen_intercepted', { requested, note: 'serving its handler on the uwsgi sockets' });
      if (captured === null) {
        captured = server;
        onCapture?.();
      }
    },
    onClose(_server, done) {
      afterStop.push(done);
      gracefulStop('the app closed its server');
    },
  });
  capture.install();
  const ns = await importApp(settings.app, settings.cwd);
  const fromExports = await appFromExports(ns);
  if (fromExports !== null) return fromExports;
  if (captured === null) {
    await new Promise<void>((resolve) => {
      onCapture = resolve;
      setTimeout(resolve, settings.appListenTimeoutMs).unref();
    });
  }
  if (captured !== null) return { kind: 'server', server: captured, description: 'the server the app started with listen()' };
  throw new AppLoadError(
    'UWSGI_TS_APP_NO_HANDLER',
    `the app ${settings.app} exports nothing to serve (${describeExports(ns)}) and did not call listen() within ` +
      `${settings.appListenTimeoutMs / 1000} s: export a (req, res) function, an object with fetch(), or start an http server`,
  );
}

/** --uid/--gid: switch identity before any app code runs (see supervisor/privileges.ts). */
function switchIdentity(): void {
  if (settings.identity === null) return;
  try {
    dropPrivileges(settings.identity, processIdentityCalls());
  } catch (err) {
    if (!(err instanceof PrivilegeError)) throw err;
    log.error('privileges_failed', { code: err.code, error: err.message });
    exit(ExitCode.PRIVILEGES_FAILED);
  }
}

async function main(): Promise<void> {
  switchIdentity();
  const parser = selectVarsParser(settings.parser, settings.maxVars, log);
  let app: LoadedApp;
  try {
    app = await loadApp();
  } catch (err) {
    if (err instanceof AppLoadError) {
      log.error(err.code === 'UWSGI_TS_APP_NO_HANDLER' ? 'app_no_handler' : 'app_load_failed', { error: err.message });
      exit(err.code === 'UWSGI_TS_APP_NO_HANDLER' ? ExitCode.APP_NO_HANDLER : ExitCode.APP_LOAD_FAILED);
    }
    throw err;
  }
  if (phase !== 'booting') return;
  const counters = new ProtocolCounters(log);
  const requestLog = requestLogFor(settings.log, settings.slot, logOutput);
  const telemetry = startWorkerTelemetry(settings, counters, requestLog === null ? [] : [requestLog]);
  const addon = loadAddon();
  const t = selectTransport(settings.io, {
    parser,
    reporter: counters,
    onRequest: requestPipeline(createDispatch(app, log)),
    maxVarsBlock: settings.maxVarsBlock,
    limitPost: settings.limitPost,
    headDeadlineMs: settings.headDeadlineMs,
    bodyIdleTimeoutMs: settings.bodyIdleTimeoutMs,
    allowList: new PeerAllowList(settings.allowFrom),
    observer: telemetry.observer,
    maxConnections: settings.maxConnections,
    dupFd: addon.ok ? addon.addon.dupFd : null,
  }, log);
  if (t instanceof JsTransport && !t.backsOff && settings.maxConnections > 0) {
    log.warn('no_accept_backoff', {
      reason: addon.ok ? 'unavailable' : addon.reason,
      note: 'without the native addon, connections over --max-connections are closed at accept instead of left in the backlog',
    });
  }
  await t.listen(socketFds(), settings.backlog);
  transport = t;
  phase = 'serving';
  log.info('ready', { app: app.description, transport: t.kind, parser: parser.kind, pid: process.pid });
  send({ type: 'uwsgi_ts:ready', app: app.description, transport: t.kind, parser: parser.kind });
  heartbeat = new Heartbeat(settings.heartbeatMs, sampleBeat, (beat) => {
    if (process.ppid !== settings.masterPid) masterGone(`parent pid is now ${process.ppid}`);
    else send({ type: 'uwsgi_ts:beat', ...beat });
  });
  heartbeat.start();
}

let lastLoopSample = performance.eventLoopUtilization();
function sampleBeat(): BeatSample {
  const now = performance.eventLoopUtilization();
  const loopUtilization = performance.eventLoopUtilization(now, lastLoopSample).utilization;
  lastLoopSample = now;
  return {
    loopUtilization,
    rssBytes: process.memoryUsage.rss(),
    inFlight: transport?.openConnections ?? 0,
    requests: counter.count,
    maxRequestsReached: counter.limitReached,
  };
}

/** What runs around the app's handler: request counting, and with --harakiri the
 * per-request deadline and the loop watchdog. */
function requestPipeline(dispatch: RequestHandler): RequestHandler {
  let handler = dispatch;
  if (settings.harakiriMs !== null) {
    const watchdog = new LoopWatchdog({ limitMs: settings.harakiriMs, who: `worker ${settings.slot}`, masterPid: settings.masterPid });
    watchdog.start((err) => log.error('watchdog_failed', { error: err.message, effect: 'blocked loops are killed but not explained' }));
    const onExpired = () => send({ type: 'uwsgi_ts:harakiri' });
    handler = new RequestDeadlines(settings.harakiriMs, log, watchdog, Date.now, undefined, onExpired).wrap(handler);
  }
  return counter.wrap(handler);
}

main().catch((err: unknown) => {
  log.error('worker_failed', { error: String((err as Error)?.stack ?? err) });
  exit(ExitCode.INTERNAL_ERROR);
});
