/**
 * Where a process writes its log lines: stderr (inherited from the master by the
 * workers) or a file opened for append (--logto). Every process of a server opens the
 * file itself with O_APPEND, so lines from the master and the workers interleave whole
 * (one write per batch of whole lines). reopen() closes and opens the path again: after
 * logrotate renamed the file (SIGUSR1), new lines go to a new file of the same name.
 *
 * Lifecycle and error lines are written at once. Request lines are batched and written
 * once per event-loop turn (or when the batch is large): one write(2) for many requests
 * instead of one each.
 */
import * as fs from 'node:fs';

/** A batch of request lines is written when it reaches this size even within one
 * event-loop turn, so a burst never holds much memory. */
export const LOG_BATCH_MAX_BYTES = 64 * 1024;

/** Mode of a log file uwsgi-ts creates (before the umask): readable by the group for
 * log shippers, like uWSGI's logto. */
export const LOG_FILE_MODE = 0o640;

export class LogOutputError extends Error {
  readonly code = 'UWSGI_TS_LOG_OPEN_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'LogOutputError';
  }
}

export class LogOutput {
  private fd: number | null = null;
  private batch = '';
  private flushScheduled = false;

  /** @param path a file to append to, or null for stderr. */
  constructor(readonly path: string | null) {
    if (path !== null) this.fd = openLogFile(path);
  }

  /** Writes a line (with its newline) now, after any batched lines. */
  writeNow(line: string): void {
    if (this.batch !== '') {
      line = this.batch + line;
      this.batch = '';
    }
    this.writeOut(line);
  }

  /** Queues a line (with its newline) for the batch written at the end of this turn. */
  writeBatched(line: string): void {
    this.batch += line;
    if (this.batch.length >= LOG_BATCH_MAX_BYTES) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.batch === '') return;
    const text = this.batch;
    this.batch = '';
    this.writeOut(text);
  }

  /** Opens the path again (logrotate moved the old file away). Returns the error text
   * when the new file cannot be opened; lines then keep going to the old file. */
  reopen(): string | null {
    if (this.path === null) return null;
    this.flush();
    let next: number;
    try {
      next = openLogFile(this.path);
    } catch (err) {
      return (err as Error).message;
    }
    const old = this.fd;
    this.fd = next;
    if (old !== null) fs.closeSync(old);
    return null;
  }

  close(): void {
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private writeOut(text: string): void {
    if (this.fd === null) {
      // stderr: synchronous for files and pipes on Linux, so ordering is kept.
      process.stderr.write(text);
      return;
    }
    try {
      fs.writeSync(this.fd, text);
    } catch {
      // A full disk must not take the server down; the line is lost.
    }
  }
}

/** libuv opens every file close-on-exec, so workers do not inherit the master's fd: each
 * process opens the file itself. */
function openLogFile(path: string): number {
  try {
    return fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, LOG_FILE_MODE);
  } catch (err) {
    throw new LogOutputError(`cannot open log file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
