/**
 * Running the app as an unprivileged user (--uid/--gid) and owning socket files
 * (--chown-socket).
 *
 * Who drops: the workers, like gunicorn, not the master, unlike uWSGI. The master binds
 * the sockets as root and never runs app code; it stays root so that it can remove the
 * socket files and the pidfile it created in root-owned directories on exit (uWSGI's
 * vacuum fails there once its master has dropped), and spawn replacement workers that drop
 * again. Each worker switches identity first thing, before it loads the app: supplementary
 * groups from the user's entry (initgroups), then the group, then the user, then it checks
 * that root cannot be regained.
 *
 * The master resolves names and checks that the switch is permitted before it spawns any
 * worker (resolveIdentity + checkSwitchAllowed, pure given an AccountLookup), so a typo
 * stops the start with exit code 7 instead of a respawn loop.
 */
import type { SocketOwner } from '../config/option-types';
import type { AccountLookup } from './accounts';

export const PrivilegeErrorCode = {
  /** --uid/--chown-socket names a user the system does not know. */
  UNKNOWN_USER: 'UWSGI_TS_UNKNOWN_USER',
  /** --gid/--chown-socket names a group the system does not know. */
  UNKNOWN_GROUP: 'UWSGI_TS_UNKNOWN_GROUP',
  /** Switching identity needs root and the master does not run as root. */
  NOT_PERMITTED: 'UWSGI_TS_PRIVILEGES_NOT_PERMITTED',
  /** A worker's setuid/setgid/initgroups failed or did not take effect. */
  DROP_FAILED: 'UWSGI_TS_PRIVILEGES_DROP_FAILED',
} as const;

export class PrivilegeError extends Error {
  override readonly name = 'PrivilegeError';
  constructor(
    readonly code: (typeof PrivilegeErrorCode)[keyof typeof PrivilegeErrorCode],
    message: string,
  ) {
    super(message);
  }
}

/** What a worker switches to: numeric ids, and the user name for its supplementary groups. */
export interface Identity {
  readonly uid?: number;
  readonly gid?: number;
  /** The passwd name of `uid`, when it has one: initgroups() needs it. */
  readonly user?: string;
}

function resolveUser(key: string, accounts: AccountLookup, option: string) {
  const entry = accounts.user(key);
  if (entry !== null) return entry;
  if (/^\d+$/.test(key)) return { uid: Number(key), gid: undefined, name: undefined };
  throw new PrivilegeError(PrivilegeErrorCode.UNKNOWN_USER, `${option}: no user named '${key}' on this system`);
}

function resolveGroup(key: string, accounts: AccountLookup, option: string): number {
  const entry = accounts.group(key);
  if (entry !== null) return entry.gid;
  if (/^\d+$/.test(key)) return Number(key);
  throw new PrivilegeError(PrivilegeErrorCode.UNKNOWN_GROUP, `${option}: no group named '${key}' on this system`);
}

/**
 * --uid/--gid → the identity the workers take. With --uid alone the group is the user's
 * primary group, never the master's (uWSGI keeps gid 0 there, a classic mistake).
 * Numeric ids without a passwd/group entry are taken as they are.
 */
export function resolveIdentity(uid: string | undefined, gid: string | undefined, accounts: AccountLookup): Identity | null {
  if (uid === undefined && gid === undefined) return null;
  const user = uid === undefined ? undefined : resolveUser(uid, accounts, '--uid');
  let groupId = gid === undefined ? undefined : resolveGroup(gid, accounts, '--gid');
  if (user !== undefined && groupId === undefined) {
    if (user.gid === undefined) {
      throw new PrivilegeError(
        PrivilegeErrorCode.UNKNOWN_USER,
        `--uid ${uid}: the system has no entry for this uid, so its primary group is unknown; give --gid too`,
      );
    }
    groupId = user.gid;
  }
  return {
    ...(user === undefined ? {} : { uid: user.uid }),
    ...(groupId === undefined ? {} : { gid: groupId }),
    ...(user?.name === undefined ? {} : { user: user.name }),
  };
}

/** --chown-socket → the ids for chown(2); -1 leaves that one unchanged. */
export function resolveSocketOwner(owner: SocketOwner, accounts: AccountLookup): { uid: number; gid: number } {
  const uid = owner.user === undefined ? -1 : resolveUser(owner.user, accounts, '--chown-socket').uid;
  const gid = owner.group === undefined ? -1 : resolveGroup(owner.group, accounts, '--chown-socket');
  return { uid, gid };
}

/**
 * Null when the master (with effective ids `current`) can start workers as `identity`;
 * otherwise why not. Only root may change its uid or gid to another one.
 */
export function checkSwitchAllowed(identity: Identity, current: { euid: number; egid: number }): string | null {
  if (current.euid === 0) return null;
  if (identity.uid !== undefined && identity.uid !== current.euid) {
    return `switching the workers to uid ${identity.uid} needs root, and the master runs as uid ${current.euid}`;
  }
  if (identity.gid !== undefined && identity.gid !== current.egid) {
    return `switching the workers to gid ${identity.gid} needs root, and the master runs as gid ${current.egid}`;
  }
  return null;
}

/** The process calls dropPrivileges needs (node:process; a fake in tests). */
export interface IdentityCalls {
  getuid(): number;
  geteuid(): number;
  getgid(): number;
  getegid(): number;
  setuid(id: number): void;
  setgid(id: number): void;
  setgroups(groups: number[]): void;
  initgroups(user: string, extraGroup: number): void;
}

/**
 * Switches this process (a worker, before it loads the app) to `identity`: supplementary
 * groups, group, user, in that order (after setuid nothing else may change), then verifies.
 * Throws PrivilegeError (DROP_FAILED) naming the call that failed.
 */
export function dropPrivileges(identity: Identity, proc: IdentityCalls): void {
  const step = (what: string, call: () => void) => {
    try {
      call();
    } catch (err) {
      throw new PrivilegeError(PrivilegeErrorCode.DROP_FAILED, `${what} failed: ${(err as Error).message}`);
    }
  };
  const { uid, gid, user } = identity;
  if (gid !== undefined && proc.geteuid() === 0) {
    // Root's own supplementary groups (0, …) must not survive the switch.
    if (user !== undefined && uid !== undefined) step(`initgroups(${user}, ${gid})`, () => proc.initgroups(user, gid));
    else step(`setgroups([${gid}])`, () => proc.setgroups([gid]));
  }
  if (gid !== undefined) step(`setgid(${gid})`, () => proc.setgid(gid));
  if (uid !== undefined) step(`setuid(${uid})`, () => proc.setuid(uid));

  const problems: string[] = [];
  if (uid !== undefined && (proc.getuid() !== uid || proc.geteuid() !== uid)) problems.push(`uid is ${proc.getuid()}/${proc.geteuid()}`);
  if (gid !== undefined && (proc.getgid() !== gid || proc.getegid() !== gid)) problems.push(`gid is ${proc.getgid()}/${proc.getegid()}`);
  if (uid !== undefined && uid !== 0) {
    let regained = true;
    try {
      proc.setuid(0);
    } catch {
      regained = false;
    }
    if (regained) problems.push('root could be regained with setuid(0)');
  }
  if (problems.length > 0) {
    throw new PrivilegeError(PrivilegeErrorCode.DROP_FAILED, `the switch to ${JSON.stringify(identity)} did not take effect: ${problems.join('; ')}`);
  }
}

/** This process's identity calls (POSIX only: Node leaves them undefined on Windows). */
export function processIdentityCalls(): IdentityCalls {
  // process.initgroups exists on POSIX Node but is missing from @types/node.
  const p = process as NodeJS.Process & { initgroups?: (user: string | number, extraGroup: string | number) => void };
  if (!p.setuid || !p.setgid || !p.setgroups || !p.initgroups || !p.getuid || !p.geteuid || !p.getgid || !p.getegid) {
    throw new PrivilegeError(PrivilegeErrorCode.DROP_FAILED, '--uid/--gid need a POSIX system');
  }
  return {
    getuid: p.getuid,
    geteuid: p.geteuid,
    getgid: p.getgid,
    getegid: p.getegid,
    setuid: p.setuid,
    setgid: p.setgid,
    setgroups: p.setgroups,
    initgroups: p.initgroups,
  };
}
