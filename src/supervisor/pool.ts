/**
 * The worker pool's decision logic: pure functions of state and clock. Signal, exit and
 * IPC handlers in the master only record events; applyEvent() folds an event into the
 * state, and reconcile() decides what to do now (spawn, signal, exit) and when to look
 * again. No OS call happens here, so every decision is testable with a fake clock.
 */
import { ExitCode } from '../exit-codes';
import type { RestartReason } from '../metrics/master-metrics';

/** A worker that lived at least this long before exiting was not crash-looping: its
 * slot's back-off starts over. */
export const STABLE_UPTIME_MS = 10_000;
/** First respawn delay after a quick crash; doubles per consecutive quick crash. */
export const RESPAWN_BACKOFF_BASE_MS = 250;
/** Longest wait between respawns of a crash-looping slot. */
export const RESPAWN_BACKOFF_MAX_MS = 30_000;
/** Default for --graceful-timeout: in-flight requests get this long after TERM, then KILL. */
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 30_000;
/** A fast stop asks workers to exit at once (INT); KILL follows if they have not. */
export const FAST_STOP_KILL_AFTER_MS = 5_000;

export type WorkerState = 'starting' | 'ready' | 'stopping';
export type StopMode = 'graceful' | 'fast';

export interface WorkerEntry {
  slot: number;
  pid: number;
  state: WorkerState;
  spawnedAt: number;
  readyAt: number | null;
  /** When the master signalled it to stop (and with what), for the KILL deadline. */
  stopRequestedAt: number | null;
  killSent: boolean;
}

export interface SlotHistory {
  /** Consecutive exits that came sooner than STABLE_UPTIME_MS after the spawn. */
  quickCrashes: number;
  /** Not before this time may the slot be respawned (back-off). */
  nextSpawnAt: number;
}

export interface PoolState {
  mode: 'running' | 'stopping';
  stopMode: StopMode | null;
  stopStartedAt: number | null;
  target: number;
  gracefulTimeoutMs: number;
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
  | { type: 'exited'; pid: number; code: number | null; signal: string | null }
  | { type: 'stop'; mode: StopMode; reason: string };

export type LogAction = {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  event: string;
  fields: Record<string, string | number | boolean | null>;
};

/** A worker is being replaced, and why (counted in the metrics). */
export type RestartAction = { type: 'restart'; slot: number; reason: RestartReason };

export type PoolAction =
  | { type: 'spawn'; slot: number }
  | RestartAction
  | { type: 'signal'; pid: number; signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL' }
  | { type: 'exit'; code: number }
  | LogAction;

export interface Decision {
  actions: PoolAction[];
  /** Call reconcile() again at this time even if no event arrives (null: only on events). */
  wakeAt: number | null;
}

export function createPoolState(target: number, gracefulTimeoutMs = DEFAULT_GRACEFUL_TIMEOUT_MS): PoolState {
  return {
    mode: 'running',
    stopMode: null,
    stopStartedAt: null,
    target,
    gracefulTimeoutMs,
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
    default:
      return `exited with code ${code}`;
  }
}

export function backoffDelay(quickCrashes: number): number {
  if (quickCrashes <= 0) return 0;
  return Math.min(RESPAWN_BACKOFF_BASE_MS * 2 ** (quickCrashes - 1), RESPAWN_BACKOFF_MAX_MS);
}

function isLoadFailure(code: number | null): boolean {
  return code === ExitCode.APP_LOAD_FAILED || code === ExitCode.APP_NO_HANDLER;
}

function beginStop(state: PoolState, mode: StopMode, now: number): void {
  // A fast stop may overtake a graceful one; never the other way round.
  if (state.mode === 'stopping' && (state.stopMode === 'fast' || mode === 'graceful')) return;
  state.mode = 'stopping';
  state.stopMode = mode;
  state.stopStartedAt = now;
  for (const w of state.workers.values()) w.stopRequestedAt = null;
}

/** Folds one event into the state; returns the log lines it deserves and the restarts
 * it means. */
export function applyEvent(state: PoolState, event: PoolEvent, now: number): (LogAction | RestartAction)[] {
  switch (event.type) {
    case 'spawned':
      state.workers.set(event.pid, {
        slot: event.slot,
        pid: event.pid,
        state: 'starting',
        spawnedAt: now,
        readyAt: null,
        stopRequestedAt: null,
        killSent: false,
      });
      return [log('info', 'worker_spawned', { slot: event.slot, pid: event.pid })];
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
      state.everReady = true;
      return [log('info', 'worker_ready', { slot: w.slot, pid: w.pid, boot_ms: now - w.spawnedAt })];
    }
    case 'exited': {
      const w = state.workers.get(event.pid);
      if (w === undefined) return [];
      state.workers.delete(event.pid);
      const reason = exitReason(event.code, event.signal);
      const fields = { slot: w.slot, pid: w.pid, code: event.code, signal: event.signal, reason, uptime_ms: now - w.spawnedAt };
      if (state.mode === 'stopping' || w.state === 'stopping') return [log('info', 'worker_exited', fields)];
      if (isLoadFailure(event.code) && !state.everReady) {
        // The app cannot start at all: stop instead of a respawn storm, and say why.
        state.exitCode = event.code!;
        beginStop(state, 'fast', now);
        return [log('error', 'worker_exited', fields), log('error', 'startup_failed', { reason, exit_code: event.code })];
      }
      const h = slotHistory(state, w.slot);
      h.quickCrashes = now - w.spawnedAt < STABLE_UPTIME_MS ? h.quickCrashes + 1 : 0;
      h.nextSpawnAt = now + backoffDelay(h.quickCrashes);
      return [
        log(h.quickCrashes > 1 ? 'error' : 'warn', 'worker_exited', { ...fields, respawn_in_ms: h.nextSpawnAt - now }),
        { type: 'restart', slot: w.slot, reason: 'crash' },
      ];
    }
    case 'stop':
      if (state.mode === 'stopping' && state.stopMode === 'fast') return [];
      if (state.mode === 'stopping' && event.mode === 'graceful') return [];
      beginStop(state, event.mode, now);
      return [log('info', 'stopping', { mode: event.mode, reason: event.reason, workers: state.workers.size })];
  }
}

function reconcileStopping(state: PoolState, now: number): Decision {
  const actions: PoolAction[] = [];
  if (state.workers.size === 0) {
    actions.push(log('info', 'stopped', { exit_code: state.exitCode }), { type: 'exit', code: state.exitCode });
    return { actions, wakeAt: null };
  }
  const killAfter = state.stopMode === 'fast' ? FAST_STOP_KILL_AFTER_MS : state.gracefulTimeoutMs;
  let wakeAt: number | null = null;
  for (const w of state.workers.values()) {
    if (w.stopRequestedAt === null) {
      w.state = 'stopping';
      w.stopRequestedAt = now;
      actions.push({ type: 'signal', pid: w.pid, signal: state.stopMode === 'fast' ? 'SIGINT' : 'SIGTERM' });
    }
    const deadline = w.stopRequestedAt + killAfter;
    if (!w.killSent && now >= deadline) {
      w.killSent = true;
      actions.push(
        log('warn', 'worker_kill', { slot: w.slot, pid: w.pid, reason: `still running ${killAfter} ms after the stop signal` }),
        { type: 'signal', pid: w.pid, signal: 'SIGKILL' },
      );
    } else if (!w.killSent) {
      wakeAt = wakeAt === null ? deadline : Math.min(wakeAt, deadline);
    }
  }
  return { actions, wakeAt };
}

export function reconcile(state: PoolState, now: number): Decision {
  if (state.mode === 'stopping') return reconcileStopping(state, now);
  const actions: PoolAction[] = [];
  const occupied = new Set<number>();
  for (const w of state.workers.values()) if (w.state !== 'stopping') occupied.add(w.slot);
  let wakeAt: number | null = null;
  for (let slot = 1; slot <= state.target; slot++) {
    if (occupied.has(slot)) continue;
    const h = slotHistory(state, slot);
    if (now >= h.nextSpawnAt) actions.push({ type: 'spawn', slot });
    else wakeAt = wakeAt === null ? h.nextSpawnAt : Math.min(wakeAt, h.nextSpawnAt);
  }
  return { actions, wakeAt };
}
