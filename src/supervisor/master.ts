/**
 * The master: owns the sockets and the workers' lives, never loads the app. This file is
 * the thin shell around pool.ts: it turns signals, child exits and IPC messages into
 * events, runs one reconcile step after them, and carries out the resulting actions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createLogger, type Logger } from '../log';
import { ExitCode } from '../exit-codes';
import { loadAddon } from '../addon';
import { openSocket, SocketError, type ListeningSocket, type SocketSpec } from './sockets';
import { PrivilegeError } from './privileges';
import type { Vacuum } from './vacuum';
import { applyEvent, createPoolState, reconcile, type PoolAction, type PoolConfig, type PoolEvent, type PoolState } from './pool';
import { requestLimit } from './request-limit';
import { reopenLogs } from '../reopen-logs';
import { TouchReloadWatcher } from './touch-reload';
import type { MasterTelemetry } from '../metrics/master-telemetry';
import type { MetricsAddress } from '../metrics/metrics-address';
import type { ReportedWorkerState, SupervisorView } from '../metrics/master-metrics';
import { WORKER_SETTINGS_ENV, type WorkerMessage, type WorkerSettings, type WorkerTuning } from '../worker/settings';

export interface MasterOptions {
  sockets: SocketSpec[];
  chmodSocket?: number;
  /** --chown-socket, resolved to ids (-1: unchanged). */
  chownSocket?: { uid: number; gid: number };
  /** Removes the socket files at exit (absent or disabled: they stay). */
  vacuum?: Vacuum;
  /** --env: added to the workers' environment. */
  workerEnv?: Readonly<Record<string, string>>;
  pool: PoolConfig;
  /** --max-requests (null: off) and --max-requests-jitter; each worker gets its own limit. */
  maxRequests: number | null;
  maxRequestsJitter: number;
  /** --touch-reload files. */
  touchReload: string[];
  /** Serve /metrics, /healthz, /readyz and /stats here (--metrics). */
  metrics?: MetricsAddress;
  /** Passed to every worker as is. */
  worker: WorkerTuning;
}

/** What each signal to the master means (docs/signals.md lists them; a test keeps the two
 * in step). The handlers only record the event. */
export const MASTER_SIGNALS: Readonly<Partial<Record<NodeJS.Signals, PoolEvent>>> = {
  SIGTERM: { type: 'stop', mode: 'graceful', reason: 'SIGTERM' },
  SIGINT: { type: 'stop', mode: 'fast', reason: 'SIGINT' },
  SIGQUIT: { type: 'stop', mode: 'fast', reason: 'SIGQUIT' },
  SIGHUP: { type: 'reload', reason: 'SIGHUP' },
  SIGTTIN: { type: 'scale', delta: 1, reason: 'SIGTTIN' },
  SIGTTOU: { type: 'scale', delta: -1, reason: 'SIGTTOU' },
  // Also keeps Node from starting its inspector on SIGUSR1 (its default).
  SIGUSR1: { type: 'reopen_logs', reason: 'SIGUSR1' },
};

/** A heartbeat as a pool event, every field checked: the channel is shared with app code. */
function beatEvent(pid: number, m: Partial<Extract<WorkerMessage, { type: 'uwsgi_ts:beat' }>>): PoolEvent {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    type: 'beat',
    pid,
    rssBytes: num(m.rssBytes),
    inFlight: num(m.inFlight),
    requests: num(m.requests),
    maxRequestsReached: m.maxRequestsReached === true,
    loopUtilization: num(m.loopUtilization),
  };
}

/** dist/src/supervisor/master.js → dist/src/worker/main.js */
const WORKER_MAIN = path.join(__dirname, '..', 'worker', 'main.js');

export class Master {
  private readonly log: Logger = createLogger('master');
  private readonly state: PoolState;
  private readonly children = new Map<number, ChildProcess>();
  private readonly queue: PoolEvent[] = [];
  private sockets: ListeningSocket[] = [];
  private stepScheduled = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private resolveExit: ((code: number) => void) | null = null;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];
  private touchWatcher: TouchReloadWatcher | null = null;
  private telemetry: MasterTelemetry | null = null;

  constructor(private readonly options: MasterOptions) {
    this.state = createPoolState(options.pool);
  }

  /** Runs until the pool stops; resolves with the process exit code. */
  async run(): Promise<number> {
    try {
      await this.openSockets();
    } catch (err) {
      this.closeSockets();
      if (err instanceof SocketError) {
        this.log.error('socket_failed', { code: err.code, error: err.message });
        return ExitCode.SOCKET_FAILED;
      }
      if (err instanceof PrivilegeError) {
        this.log.error('privileges_failed', { code: err.code, error: err.message });
        return ExitCode.PRIVILEGES_FAILED;
      }
      throw err;
    }
    if (this.options.metrics !== undefined) {
      // Loaded only with --metrics: prom-client takes 100-250 ms to load on a busy machine.
      const { MasterTelemetry } = require('../metrics/master-telemetry') as typeof import('../metrics/master-telemetry');
      const telemetry = new MasterTelemetry(this.options.metrics, this.supervisorView(), (pid) => this.children.get(pid));
      try {
        await telemetry.listen();
      } catch (err) {
        this.closeSockets();
        this.log.error('metrics_listen_failed', { address: telemetry.name, error: (err as Error).message });
        return ExitCode.SOCKET_FAILED;
      }
      this.telemetry = telemetry;
      this.log.info('metrics_listening', { address: telemetry.name, paths: '/metrics,/healthz,/readyz,/stats' });
    }
    this.log.info('starting', {
      app: this.options.worker.app,
      workers: this.options.pool.workers,
      sockets: this.sockets.map((s) => s.name).join(','),
      pid: process.pid,
    });
    const exited = new Promise<number>((resolve) => {
      this.resolveExit = resolve;
    });
    this.installSignals();
    if (this.options.touchReload.length > 0) {
      this.touchWatcher = new TouchReloadWatcher(this.options.touchReload, (file) =>
        this.record({ type: 'reload', reason: `touched ${file}` }),
      );
      const missing = this.touchWatcher.start();
      for (const file of this.options.touchReload) {
        // A missing file is watched too (creating it is a touch), but it may be a typo: say so.
        if (missing.includes(file)) this.log.warn('touch_reload_watching', { file, exists: false, note: 'creating the file starts a reload' });
        else this.log.info('touch_reload_watching', { file, exists: true });
      }
    }
    this.scheduleStep();
    const code = await exited;
    this.touchWatcher?.stop();
    this.uninstallSignals();
    this.telemetry?.close();
    this.telemetry = null;
    this.closeSockets();
    return code;
  }

  private async openSockets(): Promise<void> {
    const addon = loadAddon();
    const listenFd = addon.ok ? addon.addon.listenFd : undefined;
    if (!addon.ok) this.log.warn('addon_unavailable', { reason: addon.reason, effect: 'sockets start listening when the first worker does' });
    for (const spec of this.options.sockets) {
      const socket = await openSocket(spec, {
        chmod: this.options.chmodSocket,
        chown: this.options.chownSocket,
        backlog: this.options.worker.backlog,
        listenFd,
      });
      this.sockets.push(socket);
      if (socket.removeFile !== undefined) this.options.vacuum?.track(socket.name, socket.removeFile);
    }
  }

  /** What the metrics listener reads at scrape time. */
  private supervisorView(): SupervisorView {
    const stateName: Record<string, ReportedWorkerState> = { starting: 'starting', ready: 'ready', stopping: 'draining' };
    return {
      workers: () => [...this.state.workers.values()].map((w) => ({ slot: w.slot, pid: w.pid, state: stateName[w.state] ?? 'draining' })),
      sockets: () => this.sockets.map((s) => ({ name: s.name, fd: s.fd })),
      target: () => this.state.target,
      stopping: () => this.state.mode === 'stopping',
    };
  }

  private closeSockets(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
    this.options.vacuum?.sweep();
  }

  private installSignals(): void {
    for (const [signal, event] of Object.entries(MASTER_SIGNALS) as [NodeJS.Signals, PoolEvent][]) {
      const handler = () => this.record(event);
      process.on(signal, handler);
      this.signalHandlers.push([signal, handler]);
    }
  }

  private uninstallSignals(): void {
    for (const [signal, handler] of this.signalHandlers.splice(0)) process.off(signal, handler);
  }

  /** Event sources only record; the step runs once for everything that arrived. */
  private record(event: PoolEvent): void {
    this.queue.push(event);
    this.scheduleStep();
  }

  private scheduleStep(): void {
    if (this.stepScheduled) return;
    this.stepScheduled = true;
    setImmediate(() => {
      this.stepScheduled = false;
      this.step();
    });
  }

  private step(): void {
    const now = Date.now();
    for (const event of this.queue.splice(0)) this.execute(applyEvent(this.state, event, now));
    const decision = reconcile(this.state, now);
    this.execute(decision.actions);
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    if (decision.wakeAt !== null) {
      this.wakeTimer = setTimeout(() => this.scheduleStep(), Math.max(0, decision.wakeAt - Date.now()));
    }
    // Spawns recorded 'spawned' events synchronously; settle them in this same step.
    if (this.queue.length > 0) this.scheduleStep();
  }

  private execute(actions: PoolAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case 'log':
          this.log[action.level](action.event, action.fields);
          break;
        case 'spawn':
          this.spawnWorker(action.slot);
          break;
        case 'restart':
          this.telemetry?.recordRestart(action.slot, action.reason);
          break;
        case 'reload_started':
          this.telemetry?.recordReload();
          break;
        case 'harakiri':
          this.telemetry?.recordHarakiri(action.slot, action.kind);
          break;
        case 'signal':
          try {
            process.kill(action.pid, action.signal);
          } catch {
            // Already gone: its exit event is on its way.
          }
          break;
        case 'reopen_logs':
          this.reopenLogs();
          break;
        case 'exit':
          if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
          this.wakeTimer = null;
          this.resolveExit?.(action.code);
          this.resolveExit = null;
          break;
      }
    }
  }

  /** SIGUSR1: the master's own files (see reopen-logs.ts), then every worker reopens theirs. */
  private reopenLogs(): void {
    const failed = reopenLogs(this.log);
    for (const pid of this.children.keys()) {
      try {
        process.kill(pid, 'SIGUSR1');
      } catch {
        // Already gone.
      }
    }
    this.log.info('logs_reopened', { workers: this.children.size, failed });
  }

  private workerSettings(slot: number): WorkerSettings {
    const { maxRequests, maxRequestsJitter } = this.options;
    return {
      ...this.options.worker,
      slot,
      socketCount: this.sockets.length,
      masterPid: process.pid,
      maxRequests: maxRequests === null ? 0 : requestLimit(maxRequests, maxRequestsJitter, Math.random),
    };
  }

  private spawnWorker(slot: number): void {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [WORKER_MAIN], {
        cwd: this.options.worker.cwd,
        env: { ...process.env, ...this.options.workerEnv, [WORKER_SETTINGS_ENV]: JSON.stringify(this.workerSettings(slot)) },
        stdio: ['inherit', 'inherit', 'inherit', 'ipc', ...this.sockets.map((s) => s.fd)],
      });
    } catch (err) {
      this.record({ type: 'spawn_failed', slot, error: (err as Error).message });
      return;
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (err) => this.record({ type: 'spawn_failed', slot, error: err.message }));
      return;
    }
    this.children.set(pid, child);
    this.record({ type: 'spawned', slot, pid });
    child.on('message', (message: WorkerMessage) => {
      if (this.telemetry?.onWorkerMessage(pid, message)) return;
      if (message?.type === 'uwsgi_ts:ready') this.record({ type: 'ready', pid });
      else if (message?.type === 'uwsgi_ts:beat') this.record(beatEvent(pid, message));
      else if (message?.type === 'uwsgi_ts:harakiri') this.record({ type: 'request_timed_out', pid });
    });
    child.on('error', () => {
      // Reported through 'exit'; an IPC send error must not crash the master.
    });
    child.once('exit', (code, signal) => {
      this.children.delete(pid);
      this.record({ type: 'exited', pid, code, signal });
    });
  }
}
