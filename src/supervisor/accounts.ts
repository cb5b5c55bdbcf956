/**
 * Users and groups by name or id, as the system resolves them. Node has no getpwnam, so
 * the lookup asks `getent` (glibc's front end to NSS: /etc/passwd, LDAP, systemd's
 * DynamicUser… all answer), and reads /etc/passwd and /etc/group itself only where getent
 * is missing (minimal images). The line parsers are pure; the lookups are the thin shell.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  /** The user's primary group. */
  readonly gid: number;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
}

/** getent answers within milliseconds; a hung NSS backend must not hang the start. */
export const GETENT_TIMEOUT_MS = 10_000;

function id(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : null;
}

/** `name:password:uid:gid:gecos:home:shell` → the entry, or null for a malformed line. */
export function parsePasswdLine(line: string): UserEntry | null {
  const fields = line.split(':');
  const uid = id(fields[2]);
  const gid = id(fields[3]);
  if (fields.length < 7 || fields[0] === '' || uid === null || gid === null) return null;
  return { name: fields[0]!, uid, gid };
}

/** `name:password:gid:members` → the entry, or null for a malformed line. */
export function parseGroupLine(line: string): GroupEntry | null {
  const fields = line.split(':');
  const gid = id(fields[2]);
  if (fields.length < 4 || fields[0] === '' || gid === null) return null;
  return { name: fields[0]!, gid };
}

/** The entry a database's lines give for a name or a numeric id (the first match, as getent). */
export function findEntry<E extends { name: string }>(
  lines: readonly string[],
  key: string,
  parse: (line: string) => E | null,
  idOf: (entry: E) => number,
): E | null {
  const numeric = id(key);
  for (const line of lines) {
    const entry = parse(line);
    if (entry === null) continue;
    if (numeric !== null ? idOf(entry) === numeric : entry.name === key) return entry;
  }
  return null;
}

type Database = 'passwd' | 'group';

/** The matching lines of one NSS database: getent's answer, or the file when getent is missing. */
function databaseLines(database: Database, key: string): string[] {
  const result = spawnSync('getent', [database, key], { encoding: 'utf8', timeout: GETENT_TIMEOUT_MS });
  if (result.error === undefined) {
    // Exit 2: no such entry; anything else non-zero: the lookup itself failed.
    if (result.status === 0) return result.stdout.split('\n');
    if (result.status === 2) return [];
    throw new Error(`getent ${database} ${key} failed (exit ${result.status}): ${result.stderr.trim()}`);
  }
  if ((result.error as NodeJS.ErrnoException).code !== 'ENOENT') throw result.error;
  return readFileSync(`/etc/${database}`, 'utf8').split('\n');
}

/** The user named `key` (or with uid `key`), or null when the system knows none. */
export function lookupUser(key: string): UserEntry | null {
  return findEntry(databaseLines('passwd', key), key, parsePasswdLine, (entry) => entry.uid);
}

/** The group named `key` (or with gid `key`), or null when the system knows none. */
export function lookupGroup(key: string): GroupEntry | null {
  return findEntry(databaseLines('group', key), key, parseGroupLine, (entry) => entry.gid);
}

export interface AccountLookup {
  user(key: string): UserEntry | null;
  group(key: string): GroupEntry | null;
}

export const SYSTEM_ACCOUNTS: AccountLookup = { user: lookupUser, group: lookupGroup };
