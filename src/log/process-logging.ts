/**
 * Sets up a process's logging from the options: the output (stderr or --logto), JSON or
 * text lifecycle lines, and the request log a worker feeds. Each process, master and
 * workers alike, opens the --logto file itself and reopens it on SIGUSR1 (reopen-logs.ts:
 * the master forwards its SIGUSR1 to the workers, so one signal serves all).
 */
import { configureLogging } from '../log';
import { onReopenLogs } from '../reopen-logs';
import { LogOutput } from './log-output';
import { RequestLog } from './request-log';
import type { RequestLogFormat } from './request-log-format';

/** What every process needs to know about logging (part of the worker settings). */
export interface LogSettings {
  /** --logto, or null for stderr. */
  logto: string | null;
  format: RequestLogFormat;
  /** One line per request (not --disable-logging). */
  requestLog: boolean;
}

/** Opens the output and routes every logger to it. Throws LogOutputError when the file
 * cannot be opened. */
export function startLogging(settings: LogSettings): LogOutput {
  const output = new LogOutput(settings.logto);
  configureLogging(output, settings.format.kind === 'json');
  // Batched request lines must not be lost when the process exits.
  process.on('exit', () => output.flush());
  return output;
}

/** The worker's request log observer, or null with --disable-logging. */
export function requestLogFor(settings: LogSettings, worker: number, output: LogOutput): RequestLog | null {
  return settings.requestLog ? new RequestLog(settings.format, { worker, pid: process.pid }, output) : null;
}

/** Reopens the output on SIGUSR1 (a failure is logged by reopen-logs.ts; lines keep going
 * to the old file meanwhile). */
export function reopenOnSignal(output: LogOutput): void {
  onReopenLogs(() => {
    const error = output.reopen();
    if (error !== null) throw new Error(error);
  });
}
