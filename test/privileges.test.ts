/**
 * The identity switch's decisions with fake account databases and a fake process, and
 * the account lookups against this system's real databases.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { findEntry, lookupGroup, lookupUser, parseGroupLine, parsePasswdLine, type AccountLookup } from '../src/supervisor/accounts';
import {
  checkSwitchAllowed,
  dropPrivileges,
  PrivilegeError,
  PrivilegeErrorCode,
  resolveIdentity,
  resolveSocketOwner,
  type IdentityCalls,
} from '../src/supervisor/privileges';

const PASSWD = ['root:x:0:0:root:/root:/bin/bash', 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin', 'broken:line', 'app:x:1000:1001::/home/app:/bin/sh'];
const GROUP = ['root:x:0:', 'www-data:x:33:', 'apps:x:1001:app', 'bad'];
const FAKE: AccountLookup = {
  user: (key) => findEntry(PASSWD, key, parsePasswdLine, (e) => e.uid),
  group: (key) => findEntry(GROUP, key, parseGroupLine, (e) => e.gid),
};

function privilegeError(code: string, pattern: RegExp) {
  return (err: unknown) => err instanceof PrivilegeError && err.code === code && pattern.test(err.message);
}

test('passwd and group lines parse; malformed lines are skipped', () => {
  assert.deepEqual(parsePasswdLine(PASSWD[1]!), { name: 'www-data', uid: 33, gid: 33 });
  assert.equal(parsePasswdLine('broken:line'), null);
  assert.equal(parsePasswdLine('x:x:notanumber:1::/:/bin/sh'), null);
  assert.deepEqual(parseGroupLine('apps:x:1001:app'), { name: 'apps', gid: 1001 });
  assert.equal(parseGroupLine('bad'), null);
  assert.deepEqual(findEntry(PASSWD, '1000', parsePasswdLine, (e) => e.uid), { name: 'app', uid: 1000, gid: 1001 });
});

test('resolveIdentity: names and ids; --uid alone takes the user\'s primary group, never the master\'s', () => {
  assert.equal(resolveIdentity(undefined, undefined, FAKE), null);
  assert.deepEqual(resolveIdentity('app', undefined, FAKE), { uid: 1000, gid: 1001, user: 'app' });
  assert.deepEqual(resolveIdentity('33', 'apps', FAKE), { uid: 33, gid: 1001, user: 'www-data' });
  assert.deepEqual(resolveIdentity(undefined, 'www-data', FAKE), { gid: 33 });
  assert.deepEqual(resolveIdentity('4242', '4243', FAKE), { uid: 4242, gid: 4243 });
  assert.throws(() => resolveIdentity('nosuchuser', undefined, FAKE), privilegeError(PrivilegeErrorCode.UNKNOWN_USER, /--uid: no user named 'nosuchuser'/));
  assert.throws(() => resolveIdentity(undefined, 'nosuchgroup', FAKE), privilegeError(PrivilegeErrorCode.UNKNOWN_GROUP, /--gid: no group named 'nosuchgroup'/));
  assert.throws(() => resolveIdentity('4242', undefined, FAKE), privilegeError(PrivilegeErrorCode.UNKNOWN_USER, /give --gid too/));
});

test('resolveSocketOwner: user, group or both; -1 keeps the other', () => {
  assert.deepEqual(resolveSocketOwner({ user: 'www-data' }, FAKE), { uid: 33, gid: -1 });
  assert.deepEqual(resolveSocketOwner({ group: 'apps' }, FAKE), { uid: -1, gid: 1001 });
  assert.deepEqual(resolveSocketOwner({ user: 'root', group: '33' }, FAKE), { uid: 0, gid: 33 });
  assert.throws(() => resolveSocketOwner({ group: 'nope' }, FAKE), privilegeError(PrivilegeErrorCode.UNKNOWN_GROUP, /--chown-socket: no group named 'nope'/));
});

test('checkSwitchAllowed: root may switch; others only to what they are', () => {
  assert.equal(checkSwitchAllowed({ uid: 1000, gid: 1001 }, { euid: 0, egid: 0 }), null);
  assert.equal(checkSwitchAllowed({ uid: 1000, gid: 1001 }, { euid: 1000, egid: 1001 }), null);
  assert.match(checkSwitchAllowed({ uid: 33, gid: 33 }, { euid: 1000, egid: 1001 })!, /uid 33 needs root, and the master runs as uid 1000/);
  assert.match(checkSwitchAllowed({ gid: 33 }, { euid: 1000, egid: 1001 })!, /gid 33 needs root/);
});

/** A fake process: records calls, applies them like the kernel does for root and non-root. */
function fakeProcess(start: { uid: number; gid: number }, failOn?: string) {
  const calls: string[] = [];
  let uid = start.uid;
  let gid = start.gid;
  const guard = (name: string) => {
    calls.push(name);
    if (failOn !== undefined && name.startsWith(failOn)) throw Object.assign(new Error('EPERM, Operation not permitted'), { code: 'EPERM' });
  };
  const proc: IdentityCalls = {
    getuid: () => uid,
    geteuid: () => uid,
    getgid: () => gid,
    getegid: () => gid,
    setuid: (id) => {
      guard(`setuid(${id})`);
      if (uid !== 0 && id !== uid) throw new Error('EPERM');
      uid = id;
    },
    setgid: (id) => {
      guard(`setgid(${id})`);
      gid = id;
    },
    setgroups: (groups) => guard(`setgroups(${groups.join(',')})`),
    initgroups: (user, extra) => guard(`initgroups(${user},${extra})`),
  };
  return { proc, calls };
}

test('dropPrivileges: groups, then gid, then uid, then proves root cannot come back', () => {
  const named = fakeProcess({ uid: 0, gid: 0 });
  dropPrivileges({ uid: 1000, gid: 1001, user: 'app' }, named.proc);
  assert.deepEqual(named.calls, ['initgroups(app,1001)', 'setgid(1001)', 'setuid(1000)', 'setuid(0)']);

  const numeric = fakeProcess({ uid: 0, gid: 0 });
  dropPrivileges({ uid: 4242, gid: 4243 }, numeric.proc);
  assert.deepEqual(numeric.calls, ['setgroups(4243)', 'setgid(4243)', 'setuid(4242)', 'setuid(0)']);

  const groupOnly = fakeProcess({ uid: 0, gid: 0 });
  dropPrivileges({ gid: 33 }, groupOnly.proc);
  assert.deepEqual(groupOnly.calls, ['setgroups(33)', 'setgid(33)']);
});

test('dropPrivileges: a failing call or a switch that did not stick is a DROP_FAILED error', () => {
  assert.throws(
    () => dropPrivileges({ uid: 1000, gid: 1001, user: 'app' }, fakeProcess({ uid: 0, gid: 0 }, 'setgid').proc),
    privilegeError(PrivilegeErrorCode.DROP_FAILED, /setgid\(1001\) failed: EPERM/),
  );
  const sticky = fakeProcess({ uid: 0, gid: 0 });
  sticky.proc.setuid = () => {}; // the kernel "accepts" but nothing changes
  assert.throws(
    () => dropPrivileges({ uid: 1000, gid: 1001, user: 'app' }, sticky.proc),
    privilegeError(PrivilegeErrorCode.DROP_FAILED, /did not take effect: uid is 0\/0; root could be regained/),
  );
});

test('the system databases: root and nobody resolve by name and by id; unknown names give null', () => {
  assert.deepEqual(lookupUser('root'), { name: 'root', uid: 0, gid: 0 });
  assert.equal(lookupUser('0')?.name, 'root');
  assert.equal(lookupUser('nobody')?.uid, 65534);
  assert.equal(lookupGroup('root')?.gid, 0);
  assert.equal(lookupUser('no-such-user-uwsgi-ts'), null);
  assert.equal(lookupGroup('no-such-group-uwsgi-ts'), null);
});
