/**
 * --pidfile: the master's pid, for init scripts and `kill -HUP $(cat app.pid)`.
 *
 * A pidfile that names a running process is refused (a second master on the same files
 * is a mistake to stop early, as gunicorn does); one whose process is gone is stale and
 * replaced. The file is written whole (temp file + rename), so a reader never sees it
 * half-written, and removed on exit only while it still holds our pid (another master
 * may have taken it over since).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class PidfileError extends Error {
  override readonly name = 'PidfileError';
  constructor(
    readonly code: 'UWSGI_TS_PIDFILE_IN_USE' | 'UWSGI_TS_PIDFILE_UNWRITABLE',
    message: string,
  ) {
    super(message);
  }
}

/** The pid a pidfile's text names, or null when it names none (empty, garbage). */
export function parsePidfile(text: string): number | null {
  const match = /^\s*(\d{1,10})\s*$/.exec(text);
  if (!match) return null;
  const pid = Number(match[1]);
  return pid > 0 ? pid : null;
}

/**
 * What to do with the pidfile found at start (`existing`: its text, null when absent):
 * write ours over it, or refuse because it names another live process.
 */
export function pidfileDecision(
  existing: string | null,
  ownPid: number,
  isAlive: (pid: number) => boolean,
): { action: 'write' } | { action: 'refuse'; pid: number } {
  if (existing === null) return { action: 'write' };
  const pid = parsePidfile(existing);
  if (pid === null || pid === ownPid || !isAlive(pid)) return { action: 'write' };
  return { action: 'refuse', pid };
}

/** kill(pid, 0): EPERM still means the process exists (it belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readIfPresent(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PidfileError('UWSGI_TS_PIDFILE_UNWRITABLE', `cannot read the pidfile ${file}: ${(err as Error).message}`);
  }
}

/** Writes `pid` to `file` (see the module comment); throws PidfileError. */
export function writePidfile(file: string, pid: number = process.pid): void {
  const decision = pidfileDecision(readIfPresent(file), pid, processAlive);
  if (decision.action === 'refuse') {
    throw new PidfileError(
      'UWSGI_TS_PIDFILE_IN_USE',
      `the pidfile ${file} names pid ${decision.pid}, which is running: stop that server first, or remove the file if it is not one`,
    );
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
  try {
    fs.writeFileSync(temp, `${pid}\n`, { mode: 0o644 });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new PidfileError('UWSGI_TS_PIDFILE_UNWRITABLE', `cannot write the pidfile ${file}: ${(err as Error).message}`);
  }
}

/** Removes `file` if it still names `pid`; never throws (it runs while exiting). */
export function removePidfile(file: string, pid: number = process.pid): void {
  try {
    if (parsePidfile(fs.readFileSync(file, 'utf8')) === pid) fs.unlinkSync(file);
  } catch {
    // Gone already, or unreadable: nothing of ours to remove.
  }
}
