/**
 * What the master tells a worker at spawn, in one environment variable (readable before
 * anything else runs in the worker, and visible in /proc for debugging).
 */
import type { LogSettings } from '../log/process-logging';
import type { ParserPreference } from '../protocol/vars-parser';
import type { Cidr } from './peer-allow-list';
import type { BeatSample } from './heartbeat';
import type { IoPreference } from './transport-select';
import type { Identity } from '../supervisor/privileges';

export const WORKER_SETTINGS_ENV = 'UWSGI_TS_WORKER_SETTINGS';

/** The child's stdio layout: 0-2 inherited, 3 the IPC channel, sockets from 4 on. */
export const IPC_FD = 3;
export const FIRST_SOCKET_FD = 4;

/** What every worker of a master gets alike (derived from the options). */
export interface WorkerTuning {
  app: string;
  cwd: string;
  parser: ParserPreference;
  io: IoPreference;
  backlog: number;
  maxVarsBlock: number;
  maxVars: number;
  limitPost: number;
  maxConnections: number;
  headDeadlineMs: number;
  bodyIdleTimeoutMs: number;
  appListenTimeoutMs: number;
  allowFrom: Cidr[];
  /** How often to send the master a heartbeat (see heartbeat.ts). */
  heartbeatMs: number;
  /** --harakiri in ms (null: off): the per-request deadline and the loop watchdog. */
  harakiriMs: number | null;
  /** After the master went away: in-flight requests get this long, then the worker exits. */
  orphanExitAfterMs: number;
  /** The master serves /metrics and /stats: keep request counters and answer collects. */
  metrics: boolean;
  log: LogSettings;
  /** --uid/--gid, resolved by the master: the worker switches to it before loading the app. */
  identity: Identity | null;
}

export interface WorkerSettings extends WorkerTuning {
  /** Stable worker number (1..N): logs and metrics label workers by slot, not pid. */
  slot: number;
  socketCount: number;
  /** The master's pid: a different parent pid means the master died (no orphans). */
  masterPid: number;
  /** Recycle after this many requests (--max-requests plus this worker's jitter); 0: never. */
  maxRequests: number;
}

export function readWorkerSettings(env: NodeJS.ProcessEnv): WorkerSettings {
  const raw = env[WORKER_SETTINGS_ENV];
  if (!raw) throw new Error(`${WORKER_SETTINGS_ENV} is not set: workers are started by the uwsgi-ts master`);
  return JSON.parse(raw) as WorkerSettings;
}

/**
 * Messages a worker sends the master over the IPC channel. The app runs in the worker and
 * may use the same channel (process.send) for its own messages, so every type carries the
 * uwsgi_ts: prefix: an app's { type: 'ready' } or { type: 'harakiri' } must never read as
 * the worker's own report (a forged beat with maxRequestsReached would recycle it).
 */
export type WorkerMessage =
  | { type: 'uwsgi_ts:ready'; app: string; transport: string; parser: string }
  | ({ type: 'uwsgi_ts:beat' } & BeatSample)
  /** A request ran past --harakiri (answered 504 or cut). */
  | { type: 'uwsgi_ts:harakiri' }
  | { type: 'uwsgi_ts:stopping'; reason: string };
