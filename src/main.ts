/**
 * `uwsgi-ts [options] <app>`: resolve the configuration (flags, env, files), then run
 * the master until it stops. Exit codes are listed in docs/signals.md.
 */
import * as path from 'node:path';
import { createLogger } from './log';
import { reopenOnSignal, startLogging, type LogSettings } from './log/process-logging';
import type { LogOutput } from './log/log-output';
import { ExitCode } from './exit-codes';
import { loadConfig, type Config } from './config';
import { Master, type MasterOptions } from './supervisor/master';
import { loadAddon } from './addon';
import { nativeIo } from './worker/transport-select';
import { isLoopbackHost, formatCidr } from './worker/peer-allow-list';
import { formatSocketAddress, type Source } from './config';
import { heartbeatIntervalMs } from './worker/heartbeat';
import { effectiveBootTimeout } from './supervisor/pool';
import { setUpProcess, type ProcessSetup } from './supervisor/process-setup';

/** A TCP socket on a non-loopback address with the default (loopback) allow-list can
 * only be reached from this machine: say so, and why the list matters. */
export function trustWarnings(config: Config, allowFromSource: Source): string[] {
  if (allowFromSource !== 'default') return [];
  const warnings: string[] = [];
  for (const socket of config.socket) {
    if (socket.kind !== 'tcp' || isLoopbackHost(socket.host)) continue;
    warnings.push(
      `${formatSocketAddress(socket)} listens beyond loopback but accepts only ${config.allowFrom.map(formatCidr).join(', ')}: ` +
        'list the front servers with --allow-from (the uwsgi vars they send, such as REMOTE_ADDR and HTTPS, are trusted)',
    );
  }
  return warnings;
}

/** The --logto path is taken relative to the directory uwsgi-ts was started in (before
 * --chdir), and every process gets it absolute. */
export function logSettingsOf(config: Config, cwd: string): LogSettings {
  return {
    logto: config.logto === undefined ? null : path.resolve(cwd, config.logto),
    format: config.logFormat,
    requestLog: !config.disableLogging,
  };
}

function startMasterLogging(config: Config, cwd: string): { logSettings: LogSettings; logOutput: LogOutput } {
  const logSettings = logSettingsOf(config, cwd);
  return { logSettings, logOutput: startLogging(logSettings) };
}

const MIB = 1024 * 1024;

function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

export function masterOptions(config: Config, cwd: string, setup?: ProcessSetup, log: LogSettings = logSettingsOf(config, cwd)): MasterOptions {
  const socketTimeoutMs = ms(config.socketTimeout);
  const harakiriMs = config.harakiri === undefined ? null : ms(config.harakiri);
  const heartbeatMs = heartbeatIntervalMs(harakiriMs);
  const idleMs = config.idle === undefined ? null : ms(config.idle);
  const gracefulTimeoutMs = ms(config.gracefulTimeout);
  return {
    sockets: setup?.sockets ?? config.socket,
    chmodSocket: config.chmodSocket,
    chownSocket: setup?.chownSocket,
    vacuum: setup?.vacuum,
    workerEnv: setup?.workerEnv,
    metrics: config.metrics,
    pool: {
      workers: config.workers,
      minWorkers: Math.min(config.workers, config.minWorkers ?? 1),
      idleMs,
      gracefulTimeoutMs,
      maxRecycling: config.maxRecycling,
      reloadOnRssBytes: config.reloadOnRss === undefined ? null : config.reloadOnRss * MIB,
      harakiriMs,
      harakiriGraceMs: ms(config.harakiriGrace),
      heartbeatMs,
      bootTimeoutMs: effectiveBootTimeout(ms(config.bootTimeout), ms(config.appListenTimeout)),
    },
    maxRequests: config.maxRequests ?? null,
    maxRequestsJitter: config.maxRequestsJitter,
    touchReload: config.touchReload ?? [],
    worker: {
      app: config.app,
      cwd,
      parser: config.parser,
      io: config.io,
      backlog: config.listen,
      maxVarsBlock: config.bufferSize,
      maxVars: config.maxVars,
      limitPost: config.limitPost,
      maxConnections: config.maxConnections,
      headDeadlineMs: socketTimeoutMs,
      bodyIdleTimeoutMs: socketTimeoutMs,
      appListenTimeoutMs: Math.round(config.appListenTimeout * 1000),
      allowFrom: config.allowFrom,
      heartbeatMs,
      harakiriMs,
      orphanExitAfterMs: gracefulTimeoutMs,
      metrics: config.metrics !== undefined,
      log,
      identity: setup?.identity ?? null,
    },
  };
}


export function main(argv: string[]): void {
  if (argv[0] === 'top') {
    // The live status view of a running server (src/top); not a server start.
    const { runTop } = require('./top/top-command') as typeof import('./top/top-command');
    void runTop(argv.slice(1)).then((code) => process.exit(code));
    return;
  }
  const outcome = loadConfig(argv, process.env, process.cwd());
  if (outcome.action === 'exit') {
    process.stdout.write(outcome.stdout);
    process.stderr.write(outcome.stderr);
    process.exitCode = outcome.exitCode;
    return;
  }
  const log = createLogger('master');
  let logSettings: LogSettings;
  let logOutput: LogOutput;
  try {
    ({ logSettings, logOutput } = startMasterLogging(outcome.config, process.cwd()));
  } catch (err) {
    log.error('log_open_failed', { option: '--logto', error: (err as Error).message });
    process.exitCode = ExitCode.LOG_FAILED;
    return;
  }
  for (const warning of outcome.warnings) log.warn('config_warning', { warning });
  for (const warning of trustWarnings(outcome.config, outcome.sources.allowFrom)) log.warn('socket_trust', { warning });
  if (outcome.config.parser === 'native') {
    // Asked for explicitly: refuse to start rather than let every worker fail to boot.
    const addon = loadAddon();
    if (!addon.ok) {
      log.error('config_error', { option: '--parser', value: 'native', error: `the native addon is unavailable: ${addon.reason}` });
      process.exitCode = ExitCode.USAGE;
      return;
    }
  }
  if (outcome.config.io === 'native') {
    // Asked for explicitly: refuse to start rather than let every worker fail to boot.
    const io = nativeIo();
    if (!io.ok) {
      log.error('config_error', { option: '--io', value: 'native', error: `the native connection path is unavailable: ${io.reason}` });
      process.exitCode = ExitCode.USAGE;
      return;
    }
  }
  const prepared = setUpProcess(outcome.config, log);
  if (!prepared.ok) {
    process.exitCode = prepared.exitCode;
    return;
  }
  reopenOnSignal(logOutput);
  new Master(masterOptions(outcome.config, process.cwd(), prepared.setup, logSettings))
    .run()
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      log.error('master_failed', { error: String((err as Error)?.stack ?? err) });
      process.exit(ExitCode.INTERNAL_ERROR);
    });
}
