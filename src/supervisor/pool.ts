/**
 * The worker pool's decision logic: pure functions of state and clock. Signal, exit and
 * IPC handlers in the master only record events; applyEvent() folds an event into the
 * state, and reconcile() decides what to do now (spawn, signal, exit) and when to look
 * again. No OS call happens here, so every decision is testable with a fake clock.
 *
 * Replacing a worker (recycle after --max-requests, --reload-on-rss, a rolling reload)
 * always goes the same way: a replacement is spawned into the same slot, and only once
 * it is ready is the old worker told to stop (it stops accepting, finishes its in-flight
 * requests and exits). So a slot is never without a ready worker because of a recycle.
 */
import { ExitCode } from '../exit-codes';
import type { HarakiriKind, RestartReason } from '../metrics/master-metrics';

/** A worker that lived at least this long before exiting was not crash-looping: its
 * slot's back-off starts over. */
export const STABLE_UPTIME_MS = 10_000;
/** Respawn delay after the second quick crash in a row; doubles per further one. */
export const RESPAWN_BACKOFF_BASE_MS = 250;
/** Longest wait between respawns of a crash-looping slot. */
export const RESPAWN_BACKOFF_MAX_MS = 30_000;
/** Default for --graceful-timeout: in-flight requests get this long after TERM, then KILL. */
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 30_000;
/** A fast stop asks workers to exit at once (INT); KILL follows if they have not. */
export const FAST_STOP_KILL_AFTER_MS = 5_000;
/** Default for --harakiri-grace: a worker killed for a blocked event loop gets this long
 * between TERM and KILL (a blocked loop cannot run its TERM handler, so KILL usually ends it). */
export const DEFAULT_HARAKIRI_GRACE_MS = 5_000;
/** Most workers a master runs (--workers, and SIGTTIN's ceiling): far beyond useful on
 * any machine, low enough to catch typos (`--workers 40000`). */
export const MAX_WORKERS = 1024;
/** With --idle, the pool grows when every worker's event loop was at least this busy
 * over its last heartbeat period: a Node worker serves many requests at once, so "busy"
 * means its CPU (its one thread) is nearly used up, not that a request is open. */
export const SCALE_UP_LOOP_UTILIZATION = 0.75;
/** Default for --boot-timeout: loading an app (and its imports) rarely takes more. */
export const DEFAULT_BOOT_TIMEOUT_MS = 60_000;
/** The boot timeout always leaves an app that calls listen() its --app-listen-timeout plus
 * this much, so the worker's own clearer exit (code 4) comes first. */
export const BOOT_TIMEOUT_MARGIN_MS = 1_000;
/** Default for --max-recycling: replacements for recycles (max-requests, RSS) in flight at once. */
export const DEFAULT_MAX_RECYCLING = 1;

export type WorkerState = 'starting' | 'ready' | 'stopping';
export type StopMode = 'graceful' | 'fast';
/** Why a worker is replaced by a new one in its slot. */
export type ReplaceReason = 'max-requests' | 'rss' | 'reload';

export interface WorkerEntry {
  slot: number;
  pid: number;
  state: WorkerState;
  /** The reload generation it was started in: older than the pool's means "runs old code". */
  generation: number;
  spawnedAt: number;
  readyAt: number | null;
  /** When the master signalled it to stop, and how long it then has before KILL. */
  stopRequestedAt: number | null;
  stopKillAfterMs: number;
  killSent: boolean;
  /** Killed for not becoming ready within the boot timeout. */
  bootTimedOut: boolean;
  /** Set when the worker should be replaced: a replacement is spawned, then it stops. */
  replace: ReplaceReason | null;
  /** Last sign of life of its event loop (ready, heartbeat). */
  lastBeatAt: number;
  /** Last time it was seen serving (a heartbeat with connections or new requests). */
  lastBusyAt: number;
  inFlight: number;
  requests: number;
  rssBytes: number;
  loopUtilization: number;
}

export interface SlotHistory {
  /** Consecutive exits that came sooner than STABLE_UPTIME_MS after the spawn. */
  quickCrashes: number;
  /** Not before this time may the slot be (re)spawned (back-off). */
  nextSpawnAt: number;
}

/** What the options say about the pool; fixed for the master's life. */
export interface PoolConfig {
  /** Workers at start (--workers). Without --idle also the fixed size. */
  workers: number;
  /** With --idle: never fewer ready workers than this (--min-workers). */
  minWorkers: number;
  /** --idle: a worker without requests for this long is stopped (down to minWorkers); null: off. */
  idleMs: number | null;
  gracefulTimeoutMs: number;
  /** --max-recycling: replacements for max-requests/RSS recycles running at once. */
  maxRecycling: number;
  /** --reload-on-rss in bytes; null: off. */
  reloadOnRssBytes: number | null;
  /** --harakiri: a loop silent (no heartbeat) for this long is killed; null: off. */
  harakiriMs: number | null;
  harakiriGraceMs: number;
  /** A worker not ready this long after its spawn is killed (see effectiveBootTimeout). */
  bootTimeoutMs: number;
  /** How often workers send heartbeats (see heartbeat.ts): the slack for the liveness check. */
  heartbeatMs: number;
}

export function poolConfig(overrides: Partial<PoolConfig> & { workers: number }): PoolConfig {
  return {
    minWorkers: overrides.workers,
    idleMs: null,
    gracefulTimeoutMs: DEFAULT_GRACEFUL_TIMEOUT_MS,
    maxRecycling: DEFAULT_MAX_RECYCLING,
    reloadOnRssBytes: null,
    harakiriMs: null,
    harakiriGraceMs: DEFAULT_HARAKIRI_GRACE_MS,
    heartbeatMs: 1000,
    bootTimeoutMs: DEFAULT_BOOT_TIMEOUT_MS,
    ...overrides,
  };
}

export interface ReloadState {
  generation: number;
  reason: string;
  startedAt: number;
}

export interface PoolState {
  readonly config: PoolConfig;
  mode: 'running' | 'stopping';
  stopMode: StopMode | null;
  stopStartedAt: number | null;
  /** Slots 1..target are to be filled. Changed by scaling (idle, TTIN/TTOU). */
  target: number;
  /** Bounds for scaling: --idle scales between them, TTIN/TTOU move them. */
  minWorkers: number;
  maxWorkers: number;
  /** Workers spawned now belong to this generation; a reload increments it. */
  generation: number;
  reload: ReloadState | null;
  workers: Map<number, WorkerEntry>;
  slots: Map<number, SlotHistory>;
  /** Some worker has been ready at least once: after that, load failures are crash loops
   * to back off from, not a start-up failure to stop on. */
  everReady: boolean;
  exitCode: number;
}

export type PoolEvent =
  | { type: 'spawned'; slot: number; pid: number }
  | { type: 'spawn_failed'; slot: number; error: string }
  | { type: 'ready'; pid: number }
  | {
      type: 'beat';
      pid: number;
      rssBytes: number;
      inFlight: number;
      requests: number;
      maxRequestsReached: boolean;
      /** Share of the last heartbeat period its event loop was busy (0..1). */
      loopUtilization: number;
    }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null }
  | { type: 'stop'; mode: StopMode; reason: string }
  | { type: 'reload'; reason: string }
  | { type: 'scale'; delta: 1 | -1; reason: string }
  | { type: 'reopen_logs'; reason: string }
  /** A worker answered a request past --harakiri (it logged the details itself). */
  | { type: 'request_timed_out'; pid: number };

export type LogAction = {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  event: string;
  fields: Record<string, string | number | boolean | null>;
};

export type WorkerSignal = 'SIGTERM' | 'SIGINT' | 'SIGKILL';

/** A worker is being replaced, and why (counted in the metrics). */
export type RestartAction = { type: 'restart'; slot: number; reason: RestartReason };

export type PoolAction =
  | { type: 'spawn'; slot: number }
  | RestartAction
  | { type: 'signal'; pid: number; signal: WorkerSignal }
  | { type: 'reload_started' }
  | { type: 'harakiri'; slot: number; kind: HarakiriKind }
  | { type: 'reopen_logs' }
  | { type: 'exit'; code: number }
  | LogAction;

export interface Decision {
  actions: PoolAction[];
  /** Call reconcile() again at this time even if no event arrives (null: only on events). */
  wakeAt: number | null;
}

/** The boot timeout in force: --boot-timeout, raised if needed above --app-listen-timeout. */
export function effectiveBootTimeout(bootTimeoutMs: number, appListenTimeoutMs: number): number {
  return Math.max(bootTimeoutMs, appListenTimeoutMs + BOOT_TIMEOUT_MARGIN_MS);
}

export function createPoolState(config: PoolConfig): PoolState {
  return {
    config,
    mode: 'running',
    stopMode: null,
    stopStartedAt: null,
    target: config.workers,
    minWorkers: config.idleMs === null ? config.workers : Math.min(config.minWorkers, config.workers),
    maxWorkers: config.workers,
    generation: 1,
    reload: null,
    workers: new Map(),
    slots: new Map(),
    everReady: false,
    exitCode: ExitCode.OK,
  };
}

function log(level: LogAction['level'], event: string, fields: LogAction['fields']): LogAction {
  return { type: 'log', level, event, fields };
}

function slotHistory(state: PoolState, slot: number): SlotHistory {
  let h = state.slots.get(slot);
  if (h === undefined) {
    h = { quickCrashes: 0, nextSpawnAt: 0 };
    state.slots.set(slot, h);
  }
  return h;
}

/** Why a worker exited, in words an operator can act on. */
export function exitReason(code: number | null, signal: string | null): string {
  if (signal !== null) return `killed by ${signal}`;
  switch (code) {
    case ExitCode.OK:
      return 'exited normally';
    case ExitCode.APP_LOAD_FAILED:
      return 'the app failed to load';
    case ExitCode.APP_NO_HANDLER:
      return 'the app has nothing to serve';
    case ExitCode.PRIVILEGES_FAILED:
      return 'the worker could not switch to --uid/--gid';
    default:
      return `exited with code ${code}`;
  }
}

/** The first quick crash is respawned at once (a single kill -9 must not leave a slot
 * empty for long); from the second in a row the delay doubles, up to the maximum. */
export function backoffDelay(quickCrashes: number): number {
  if (quickCrashes <= 1) return 0;
  return Math.min(RESPAWN_BACKOFF_BASE_MS * 2 ** (quickCrashes - 2), RESPAWN_BACKOFF_MAX_MS);
}

function isLoadFailure(code: number | null): boolean {
  return code === ExitCode.APP_LOAD_FAILED || code === ExitCode.APP_NO_HANDLER || code === ExitCode.PRIVILEGES_FAILED;
}

function beginStop(state: PoolState, mode: StopMode, now: number): void {
  state.mode = 'stopping';
  state.stopMode = mode;
  state.stopStartedAt = now;
  state.reload = null;
  for (const w of state.workers.values()) w.stopRequestedAt = null;
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function live(state: PoolState): WorkerEntry[] {
  return [...state.workers.values()].filter((w) => w.state !== 'stopping');
}

function workersOfSlot(state: PoolState, slot: number): WorkerEntry[] {
  return live(state).filter((w) => w.slot === slot);
}

function workerFields(w: WorkerEntry): LogAction['fields'] {
  return { slot: w.slot, pid: w.pid };
}

function onExited(state: PoolState, w: WorkerEntry, code: number | null, signal: string | null, now: number): EventOutput[] {
  const reason = w.bootTimedOut ? `not ready within the boot timeout (${state.config.bootTimeoutMs} ms)` : exitReason(code, signal);
  const fields = { ...workerFields(w), code, signal, reason, uptime_ms: now - w.spawnedAt };
  if (state.mode === 'stopping' || w.state === 'stopping') return [log('info', 'worker_exited', fields)];
  const logs: EventOutput[] = [];
  if ((isLoadFailure(code) || w.bootTimedOut) && !state.everReady) {
    // The app cannot start at all: stop instead of a respawn storm, and say why. An app
    // that never finishes loading failed to load.
    state.exitCode = w.bootTimedOut ? ExitCode.APP_LOAD_FAILED : code!;
    beginStop(state, 'fast', now);
    return [log('error', 'worker_exited', fields), log('error', 'startup_failed', { reason, exit_code: state.exitCode })];
  }
  const reload = state.reload;
  if (reload !== null && w.generation === reload.generation && w.readyAt === null) {
    // The new code does not boot: the old workers keep serving; nothing more is replaced.
    state.reload = null;
    for (const other of state.workers.values()) if (other.replace === 'reload') other.replace = null;
    logs.push(log('error', 'reload_failed', { ...workerFields(w), reason, note: 'the old workers keep serving' }));
  }
  const h = slotHistory(state, w.slot);
  h.quickCrashes = now - w.spawnedAt < STABLE_UPTIME_MS ? h.quickCrashes + 1 : 0;
  h.nextSpawnAt = now + backoffDelay(h.quickCrashes);
  logs.unshift(log(h.quickCrashes > 1 ? 'error' : 'warn', 'worker_exited', { ...fields, respawn_in_ms: h.nextSpawnAt - now }));
  logs.push({ type: 'restart', slot: w.slot, reason: 'crash' });
  return logs;
}

function onBeat(state: PoolState, w: WorkerEntry, e: Extract<PoolEvent, { type: 'beat' }>, now: number): LogAction[] {
  w.lastBeatAt = now;
  if (e.inFlight > 0 || e.requests > w.requests) w.lastBusyAt = now;
  w.inFlight = e.inFlight;
  w.requests = e.requests;
  w.rssBytes = e.rssBytes;
  w.loopUtilization = e.loopUtilization;
  if (w.state !== 'ready' || w.replace !== null || state.mode !== 'running') return [];
  if (e.maxRequestsReached) {
    w.replace = 'max-requests';
    return [log('info', 'worker_recycle', { ...workerFields(w), reason: 'max-requests', requests: e.requests })];
  }
  const limit = state.config.reloadOnRssBytes;
  if (limit !== null && e.rssBytes > limit) {
    w.replace = 'rss';
    return [log('info', 'worker_recycle', { ...workerFields(w), reason: 'rss', rss_bytes: e.rssBytes, limit_bytes: limit })];
  }
  return [];
}

/** What folding an event gives: log lines, and the restarts and reloads it means (for the metrics). */
export type EventOutput =
  | LogAction
  | RestartAction
  | { type: 'reload_started' }
  | { type: 'reopen_logs' }
  | { type: 'harakiri'; slot: number; kind: HarakiriKind };

/** Folds one event into the state; returns the log lines it deserves and the restarts
 * and reloads it means. */
export function applyEvent(state: PoolState, event: PoolEvent, now: number): EventOutput[] {
  switch (event.type) {
    case 'spawned':
      state.workers.set(event.pid, {
        slot: event.slot,
        pid: event.pid,
        state: 'starting',
        generation: state.generation,
        spawnedAt: now,
        readyAt: null,
        stopRequestedAt: null,
        stopKillAfterMs: state.config.gracefulTimeoutMs,
        killSent: false,
        bootTimedOut: false,
        replace: null,
        lastBeatAt: now,
        lastBusyAt: now,
        inFlight: 0,
        requests: 0,
        rssBytes: 0,
        loopUtilization: 0,
      });
      return [log('info', 'worker_spawned', { slot: event.slot, pid: event.pid, generation: state.generation })];
    case 'spawn_failed': {
      const h = slotHistory(state, event.slot);
      h.quickCrashes++;
      h.nextSpawnAt = now + backoffDelay(h.quickCrashes);
      return [log('error', 'worker_spawn_failed', { slot: event.slot, error: event.error, respawn_in_ms: h.nextSpawnAt - now })];
    }
    case 'ready': {
      const w = state.workers.get(event.pid);
      if (w === undefined || w.state !== 'starting') return [];
      w.state = 'ready';
      w.readyAt = now;
      w.lastBeatAt = now;
      w.lastBusyAt = now;
      state.everReady = true;
      return [log('info', 'worker_ready', { slot: w.slot, pid: w.pid, boot_ms: now - w.spawnedAt })];
    }
    case 'beat': {
      const w = state.workers.get(event.pid);
      return w === undefined ? [] : onBeat(state, w, event, now);
    }
    case 'exited': {
      const w = state.workers.get(event.pid);
      if (w === undefined) return [];
      state.workers.delete(event.pid);
      return onExited(state, w, event.code, event.signal, now);
    }
    case 'stop':
      // A fast stop may overtake a graceful one; never the other way round.
      if (state.mode === 'stopping' && (state.stopMode === 'fast' || event.mode === 'graceful')) return [];
      beginStop(state, event.mode, now);
      return [log('info', 'stopping', { mode: event.mode, reason: event.reason, workers: state.workers.size })];
    case 'reload': {
      if (state.mode !== 'running') return [];
      // A reload during a reload starts over from the newest code: every worker not of
      // the new generation is replaced, including the ones the first reload started.
      for (const w of state.workers.values()) if (w.replace === 'reload') w.replace = null;
      state.generation++;
      state.reload = { generation: state.generation, reason: event.reason, startedAt: now };
      return [
        log('info', 'reload_started', { reason: event.reason, generation: state.generation, workers: live(state).length }),
        { type: 'reload_started' },
      ];
    }
    case 'scale': {
      if (state.mode !== 'running') return [];
      const next = state.target + event.delta;
      if (next < 1 || next > MAX_WORKERS) {
        const note = `the pool keeps between 1 and ${MAX_WORKERS} workers`;
        return [log('warn', 'scale_refused', { reason: event.reason, workers: state.target, note })];
      }
      state.target = next;
      state.maxWorkers = Math.max(state.maxWorkers, next);
      state.minWorkers = Math.min(state.minWorkers, next);
      return [log('info', 'scale', { reason: event.reason, workers: next })];
    }
    case 'reopen_logs':
      return [log('info', 'reopen_logs', { reason: event.reason }), { type: 'reopen_logs' }];
    case 'request_timed_out': {
      const w = state.workers.get(event.pid);
      return w === undefined ? [] : [{ type: 'harakiri', slot: w.slot, kind: 'request' }];
    }
  }
}

function stopWorker(w: WorkerEntry, now: number, killAfterMs: number): PoolAction {
  w.state = 'stopping';
  w.stopRequestedAt = now;
  w.stopKillAfterMs = killAfterMs;
  return { type: 'signal', pid: w.pid, signal: 'SIGTERM' };
}

/** KILL for stopping workers past their deadline; returns the next deadline. */
function enforceKillDeadlines(state: PoolState, now: number, actions: PoolAction[]): number | null {
  let wakeAt: number | null = null;
  for (const w of state.workers.values()) {
    if (w.state !== 'stopping' || w.stopRequestedAt === null || w.killSent) continue;
    const deadline = w.stopRequestedAt + w.stopKillAfterMs;
    if (now >= deadline) {
      w.killSent = true;
      actions.push(
        log('warn', 'worker_kill', { ...workerFields(w), reason: `still running ${w.stopKillAfterMs} ms after the stop signal` }),
        { type: 'signal', pid: w.pid, signal: 'SIGKILL' },
      );
    } else {
      wakeAt = earliest(wakeAt, deadline);
    }
  }
  return wakeAt;
}

function reconcileStopping(state: PoolState, now: number): Decision {
  const actions: PoolAction[] = [];
  if (state.workers.size === 0) {
    actions.push(log('info', 'stopped', { exit_code: state.exitCode }), { type: 'exit', code: state.exitCode });
    return { actions, wakeAt: null };
  }
  const fast = state.stopMode === 'fast';
  for (const w of state.workers.values()) {
    if (w.stopRequestedAt !== null) continue;
    w.state = 'stopping';
    w.stopRequestedAt = now;
    w.stopKillAfterMs = fast ? FAST_STOP_KILL_AFTER_MS : state.config.gracefulTimeoutMs;
    actions.push({ type: 'signal', pid: w.pid, signal: fast ? 'SIGINT' : 'SIGTERM' });
  }
  return { actions, wakeAt: enforceKillDeadlines(state, now, actions) };
}

/** A worker that is neither ready nor gone past the boot timeout is killed; its exit then
 * counts as a failed boot (start-up failure, failed reload, or crash back-off). */
function checkBoot(state: PoolState, now: number, actions: PoolAction[]): number | null {
  let wakeAt: number | null = null;
  for (const w of live(state)) {
    if (w.state !== 'starting' || w.bootTimedOut) continue;
    const deadline = w.spawnedAt + state.config.bootTimeoutMs;
    if (now < deadline) {
      wakeAt = earliest(wakeAt, deadline);
      continue;
    }
    w.bootTimedOut = true;
    actions.push(
      log('error', 'worker_boot_timeout', { ...workerFields(w), boot_ms: now - w.spawnedAt, limit_ms: state.config.bootTimeoutMs }),
      { type: 'signal', pid: w.pid, signal: 'SIGKILL' },
    );
  }
  return wakeAt;
}

/** --harakiri, the loop half: a ready worker silent past the limit (plus one heartbeat
 * period of slack) has a blocked event loop. */
function checkLiveness(state: PoolState, now: number, actions: PoolAction[]): number | null {
  const limit = state.config.harakiriMs;
  if (limit === null) return null;
  const allowed = limit + state.config.heartbeatMs;
  let wakeAt: number | null = null;
  for (const w of live(state)) {
    if (w.state !== 'ready') continue;
    const deadline = w.lastBeatAt + allowed;
    if (now < deadline) {
      wakeAt = earliest(wakeAt, deadline);
      continue;
    }
    actions.push(
      log('error', 'harakiri', {
        ...workerFields(w),
        reason: 'event loop blocked',
        silent_ms: now - w.lastBeatAt,
        limit_ms: limit,
        in_flight: w.inFlight,
        note: "the worker's own harakiri log line names the request and the JS stack",
      }),
      { type: 'harakiri', slot: w.slot, kind: 'loop' },
      { type: 'restart', slot: w.slot, reason: 'harakiri' },
      stopWorker(w, now, state.config.harakiriGraceMs),
    );
  }
  return wakeAt;
}

/** --idle: stop the highest slot's worker once it has been idle long enough, down to the
 * minimum; add one when every ready worker's loop is nearly saturated, up to --workers. */
function scaleForLoad(state: PoolState, now: number, actions: PoolAction[]): number | null {
  const idleMs = state.config.idleMs;
  if (idleMs === null) return null;
  let wakeAt: number | null = null;
  while (state.target > state.minWorkers) {
    const top = workersOfSlot(state, state.target);
    if (top.length !== 1 || top[0].state !== 'ready' || top[0].replace !== null) break;
    const idleAt = top[0].lastBusyAt + idleMs;
    if (now < idleAt) {
      wakeAt = idleAt;
      break;
    }
    state.target--;
    actions.push(log('info', 'scale', { reason: 'idle', idle_ms: now - top[0].lastBusyAt, workers: state.target }));
  }
  const ready = live(state).filter((w) => w.state === 'ready');
  const starting = live(state).some((w) => w.state === 'starting');
  if (state.target < state.maxWorkers && !starting && ready.length >= state.target && ready.every((w) => w.loopUtilization >= SCALE_UP_LOOP_UTILIZATION)) {
    state.target++;
    actions.push(log('info', 'scale', { reason: 'every worker busy', workers: state.target }));
  }
  return wakeAt;
}

/** A rolling reload marks one old worker at a time for replacement; done when none is left. */
function advanceReload(state: PoolState, now: number, actions: PoolAction[]): void {
  const reload = state.reload;
  if (reload === null) return;
  const old = live(state).filter((w) => w.generation < reload.generation && w.slot <= state.target);
  if (old.length === 0) {
    actions.push(log('info', 'reload_done', { reason: reload.reason, generation: reload.generation, duration_ms: now - reload.startedAt }));
    state.reload = null;
    return;
  }
  if (old.some((w) => w.replace === 'reload')) return;
  const next = old.filter((w) => w.state === 'ready').sort((a, b) => a.slot - b.slot)[0];
  if (next !== undefined) next.replace = 'reload';
}

export function reconcile(state: PoolState, now: number): Decision {
  if (state.mode === 'stopping') return reconcileStopping(state, now);
  const actions: PoolAction[] = [];
  let wakeAt = checkLiveness(state, now, actions);
  wakeAt = earliest(wakeAt, checkBoot(state, now, actions));
  wakeAt = earliest(wakeAt, scaleForLoad(state, now, actions));
  advanceReload(state, now, actions);

  // Slots above the target (scaled down): their workers stop; in-flight requests finish.
  for (const w of live(state)) {
    if (w.slot > state.target) {
      actions.push(
        log('info', 'worker_retire', { ...workerFields(w), reason: 'scale-down' }),
        { type: 'restart', slot: w.slot, reason: 'scale' },
        stopWorker(w, now, state.config.gracefulTimeoutMs),
      );
    }
  }

  let recycling = 0;
  for (let slot = 1; slot <= state.target; slot++) {
    // A recycle counts until its replacement is ready (then the old worker only drains).
    const ws = workersOfSlot(state, slot);
    const replacing = ws.some((w) => w.replace !== null && w.replace !== 'reload');
    if (replacing && ws.some((w) => w.replace === null && w.state !== 'ready')) recycling++;
  }

  for (let slot = 1; slot <= state.target; slot++) {
    const ws = workersOfSlot(state, slot);
    const h = slotHistory(state, slot);
    const old = ws.find((w) => w.replace !== null);
    const fresh = ws.find((w) => w.replace === null);
    if (fresh === undefined) {
      // Empty slot, or its only worker awaits a replacement.
      if (old !== undefined && old.replace !== 'reload') {
        if (recycling >= state.config.maxRecycling) continue;
        recycling++;
      }
      if (now >= h.nextSpawnAt) actions.push({ type: 'spawn', slot });
      else wakeAt = earliest(wakeAt, h.nextSpawnAt);
      continue;
    }
    if (old !== undefined && fresh.state === 'ready') {
      actions.push(
        log('info', 'worker_retire', { ...workerFields(old), reason: old.replace, replaced_by: fresh.pid }),
        { type: 'restart', slot: old.slot, reason: old.replace! },
        stopWorker(old, now, state.config.gracefulTimeoutMs),
      );
    }
  }
  wakeAt = earliest(wakeAt, enforceKillDeadlines(state, now, actions));
  return { actions, wakeAt };
}
