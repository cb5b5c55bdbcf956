/**
 * The worker process: loads the app once, accepts on the sockets the master passed
 * down, serves until told to stop. Signals mean the same as for the master: TERM =
 * graceful (stop accepting, finish in-flight requests, exit), INT/QUIT = fast. When the
 * master goes away (the IPC channel closes) the worker stops gracefully: no orphans.
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
import { FIRST_SOCKET_FD, readWorkerSettings, type WorkerMessage } from './settings';
import { dropPrivileges, processIdentityCalls, PrivilegeError } from '../supervisor/privileges';

const settings = readWorkerSettings(process.env);
const log = createLogger(`worker ${settings.slot}`);

type Phase = 'booting' | 'serving' | 'stopping';
let phase: Phase = 'booting';
let transport: Transport | null = null;
const afterStop: (() => void)[] = [];

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
  if (phase === 'stopping') return;
  const wasBooting = phase === 'booting';
  phase = 'stopping';
  log.info('stopping', { mode: 'graceful', reason });
  send({ type: 'stopping', reason });
  if (wasBooting || transport === null) {
    finishStop();
    return;
  }
  const t = transport;
  t.onIdle = finishStop;
  void t.stopAccepting();
}

function fastStop(reason: string): void {
  log.info('stopping', { mode: 'fast', reason });
  transport?.destroyAll();
  exit(ExitCode.OK);
}

process.on('SIGTERM', () => gracefulStop('SIGTERM'));
process.on('SIGINT', () => fastStop('SIGINT'));
process.on('SIGQUIT', () => fastStop('SIGQUIT'));
process.on('disconnect', () => gracefulStop('the master went away'));
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
  const telemetry = startWorkerTelemetry(settings, counters);
  const addon = loadAddon();
  const t = selectTransport(settings.io, {
    parser,
    reporter: counters,
    onRequest: createDispatch(app, log),
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
  const fds = Array.from({ length: settings.socketCount }, (_, i) => FIRST_SOCKET_FD + i);
  await t.listen(fds, settings.backlog);
  transport = t;
  phase = 'serving';
  log.info('ready', { app: app.description, transport: t.kind, parser: parser.kind, pid: process.pid });
  send({ type: 'ready', app: app.description, transport: t.kind, parser: parser.kind });
}

main().catch((err: unknown) => {
  log.error('worker_failed', { error: String((err as Error)?.stack ?? err) });
  exit(ExitCode.INTERNAL_ERROR);
});
