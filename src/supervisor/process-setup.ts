/**
 * What the master does to its own process before it opens sockets and spawns workers,
 * in this order: vacuum on exit, --chdir, read (and clear) systemd's socket activation
 * variables, resolve --uid/--gid/--chown-socket (and check
 * the switch is permitted), warn when somaxconn caps --listen, write --pidfile. Each
 * failure is one log line and a documented exit code; nothing half-done stays behind
 * (the vacuum's exit hook removes what was created).
 */
import * as path from 'node:path';
import type { Config } from '../config';
import { ExitCode, type ExitCodeValue } from '../exit-codes';
import type { Logger } from '../log';
import { SYSTEM_ACCOUNTS, type AccountLookup } from './accounts';
import { PidfileError, removePidfile, writePidfile } from './pidfile';
import { checkSwitchAllowed, PrivilegeError, PrivilegeErrorCode, resolveIdentity, resolveSocketOwner, type Identity } from './privileges';
import { backlogCapWarning, readSomaxconn } from './somaxconn';
import { Vacuum } from './vacuum';
import { assignActivatedSockets, clearActivationEnv, parseActivation } from './systemd-activation';
import { socketAddressOfFd } from './fd-address';
import type { SocketSpec } from './sockets';

export interface ProcessSetup {
  readonly vacuum: Vacuum;
  readonly identity: Identity | null;
  readonly chownSocket?: { uid: number; gid: number };
  /** --env as an object, for the workers' environment. */
  readonly workerEnv: Record<string, string>;
  /** The sockets to open: --socket, with systemd-activated fds in place (see systemd-activation.ts). */
  readonly sockets: SocketSpec[];
}

/**
 * --chmod-socket and --chown-socket act on the unix socket files this master creates; with
 * none (TCP only, or sockets passed by systemd) they do nothing, which deserves a word.
 */
export function unusedSocketFileOptions(config: Pick<Config, 'chmodSocket' | 'chownSocket'>, sockets: readonly SocketSpec[]): string[] {
  if (sockets.some((socket) => socket.kind === 'unix')) return [];
  const given = [config.chmodSocket !== undefined ? '--chmod-socket' : null, config.chownSocket !== undefined ? '--chown-socket' : null];
  return given
    .filter((flag): flag is string => flag !== null)
    .map((flag) => `${flag} has no effect: this master creates no unix socket file (an inherited socket keeps the mode and owner it was given)`);
}

export type SetupResult = { ok: true; setup: ProcessSetup } | { ok: false; exitCode: ExitCodeValue };

export function setUpProcess(config: Config, log: Logger, accounts: AccountLookup = SYSTEM_ACCOUNTS): SetupResult {
  const vacuum = new Vacuum(config.vacuum);
  vacuum.installExitHook();

  if (config.chdir !== undefined) {
    try {
      process.chdir(config.chdir);
    } catch (err) {
      log.error('config_error', { option: '--chdir', value: config.chdir, error: (err as Error).message });
      return { ok: false, exitCode: ExitCode.USAGE };
    }
  }

  const activation = parseActivation(process.env, process.pid);
  clearActivationEnv(process.env);
  if (!activation.ok) {
    log.error('socket_failed', { code: 'UWSGI_TS_SOCKET_ACTIVATION', error: activation.reason });
    return { ok: false, exitCode: ExitCode.SOCKET_FAILED };
  }
  for (const warning of activation.warnings) log.warn('socket_activation', { warning });
  const sockets = assignActivatedSockets(config.socket, activation.sockets, socketAddressOfFd);
  for (const warning of unusedSocketFileOptions(config, sockets)) log.warn('config_warning', { warning });

  let identity: Identity | null;
  let chownSocket: { uid: number; gid: number } | undefined;
  try {
    identity = resolveIdentity(config.uid, config.gid, accounts);
    const refusal = identity === null ? null : checkSwitchAllowed(identity, { euid: process.geteuid!(), egid: process.getegid!() });
    if (refusal !== null) throw new PrivilegeError(PrivilegeErrorCode.NOT_PERMITTED, refusal);
    chownSocket = config.chownSocket === undefined ? undefined : resolveSocketOwner(config.chownSocket, accounts);
  } catch (err) {
    if (!(err instanceof PrivilegeError)) throw err;
    log.error('privileges_failed', { code: err.code, error: err.message });
    return { ok: false, exitCode: ExitCode.PRIVILEGES_FAILED };
  }

  const capped = backlogCapWarning(config.listen, readSomaxconn());
  if (capped !== null) log.warn('listen_backlog_capped', { warning: capped });

  if (config.pidfile !== undefined) {
    const file = path.resolve(config.pidfile);
    try {
      writePidfile(file);
    } catch (err) {
      if (!(err instanceof PidfileError)) throw err;
      log.error('pidfile_failed', { code: err.code, error: err.message });
      return { ok: false, exitCode: ExitCode.PIDFILE_FAILED };
    }
    vacuum.track(file, () => removePidfile(file));
  }

  const workerEnv: Record<string, string> = {};
  for (const { name, value } of config.env ?? []) workerEnv[name] = value;
  return { ok: true, setup: { vacuum, identity, ...(chownSocket === undefined ? {} : { chownSocket }), workerEnv, sockets } };
}
