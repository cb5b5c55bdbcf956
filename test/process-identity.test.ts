/**
 * Process identity with real processes: --uid/--gid (the tests run as root, so the switch
 * to nobody is real), --chown-socket, --pidfile, vacuum on every way out, --chdir, --env,
 * and the somaxconn warning.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, FIXTURE_APPS, startServer, tempDir, ROOT, type ServerProcess } from './helpers/server';
import { uwsgiRequest } from './helpers/uwsgi-client';
import { lookupGroup, lookupUser } from '../src/supervisor/accounts';
import { readSomaxconn } from '../src/supervisor/somaxconn';

interface Identity {
  pid: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  groups: number[];
  cwd: string;
  env: Record<string, string>;
}

async function identityOf(socket: string): Promise<Identity> {
  const response = await uwsgiRequest(socket, 'GET', '/');
  assert.equal(response.status, 200);
  return JSON.parse(response.body.toString()) as Identity;
}

/** Real and effective uid of a process, from /proc. */
function procUids(pid: number): number[] {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!;
  return line.split(/\s+/).slice(1, 3).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

function workerPid(server: ServerProcess): number {
  return Number(/worker_ready slot=\d+ pid=(\d+)/.exec(server.output())![1]);
}

const nobody = lookupUser('nobody')!;
const nobodyGroup = lookupGroup(String(nobody.gid))!;

test('--uid nobody: the app runs as nobody with its own groups, the master stays root; --chown-socket and --chmod-socket set the file', async () => {
  assert.equal(process.getuid!(), 0, 'this test switches users for real: run the suite as root');
  const server = await startServer({
    app: 'identity.js',
    args: ['--uid', 'nobody', '--chown-socket', `nobody:${nobodyGroup.name}`, '--chmod-socket', '660'],
  });
  try {
    const seen = await identityOf(server.socketPath);
    assert.deepEqual([seen.uid, seen.euid, seen.gid, seen.egid], [nobody.uid, nobody.uid, nobody.gid, nobody.gid]);
    assert.ok(!seen.groups.includes(0), `root's group survived the switch: ${seen.groups}`);
    assert.deepEqual(procUids(seen.pid), [nobody.uid, nobody.uid]);
    assert.deepEqual(procUids(server.pid), [0, 0], 'the master must stay root');
    const st = fs.statSync(server.socketPath);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [nobody.uid, nobody.gid, 0o660]);
  } finally {
    await server.stop();
  }
});

test('--gid alone changes only the group; --uid with --gid takes that group', async () => {
  const server = await startServer({ app: 'identity.js', args: ['--gid', nobodyGroup.name] });
  try {
    const seen = await identityOf(server.socketPath);
    assert.deepEqual([seen.uid, seen.gid, seen.groups], [0, nobody.gid, [nobody.gid]]);
  } finally {
    await server.stop();
  }
  const both = await startServer({ app: 'identity.js', args: ['--uid', String(nobody.uid), '--gid', '0'] });
  try {
    const seen = await identityOf(both.socketPath);
    assert.deepEqual([seen.uid, seen.gid], [nobody.uid, 0]);
  } finally {
    await both.stop();
  }
});

test('an unknown --uid or --chown-socket group stops the start with exit code 7 and leaves no files', async () => {
  const dir = tempDir();
  const pidfile = path.join(dir, 'app.pid');
  for (const args of [['--uid', 'no-such-user-uwsgi-ts'], ['--chown-socket', ':no-such-group-uwsgi-ts']]) {
    const server = await startServer({ app: 'identity.js', waitReady: 0, args: [...args, '--pidfile', pidfile] });
    const { code } = await server.waitExit();
    assert.equal(code, 7, server.output());
    assert.match(server.output(), /privileges_failed code=UWSGI_TS_UNKNOWN_(USER|GROUP) error=.*no-such-(user|group)-uwsgi-ts/);
    assert.doesNotMatch(server.output(), /worker_spawned/);
    assert.equal(fs.existsSync(server.socketPath), false);
    assert.equal(fs.existsSync(pidfile), false);
    await server.stop();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--pidfile holds the master pid, a running one is refused with exit code 8, and it is removed on SIGTERM', async () => {
  const dir = tempDir();
  const pidfile = path.join(dir, 'app.pid');
  const server = await startServer({ app: 'identity.js', args: ['--pidfile', pidfile] });
  try {
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${server.pid}\n`);
    const second = await startServer({ app: 'identity.js', waitReady: 0, args: ['--pidfile', pidfile] });
    const { code } = await second.waitExit();
    assert.equal(code, 8);
    assert.match(second.output(), new RegExp(`pidfile_failed code=UWSGI_TS_PIDFILE_IN_USE error=.*names pid ${server.pid}, which is running`));
    assert.equal(fs.existsSync(second.socketPath), false, 'the refused master bound its socket');
    await second.stop();
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${server.pid}\n`, 'the refused master touched the pidfile');
  } finally {
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    assert.equal(fs.existsSync(pidfile), false, 'pidfile left after a graceful stop');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('vacuum: a fast stop and a master crash remove the socket file and the pidfile; --no-vacuum keeps them', async () => {
  const dir = tempDir();
  try {
    const pidfile = path.join(dir, 'fast.pid');
    const fast = await startServer({ app: 'identity.js', args: ['--pidfile', pidfile] });
    const socket = fast.socketPath;
    assert.equal((await fast.stop('SIGINT')).code, 0);
    assert.equal(fs.existsSync(pidfile), false, 'pidfile left after SIGINT');
    assert.equal(fs.existsSync(socket), false, 'socket left after SIGINT');

    const crashPid = path.join(dir, 'crash.pid');
    const crash = await startServer({
      app: 'identity.js',
      args: ['--pidfile', crashPid],
      nodeArgs: ['--require', path.join(ROOT, 'test', 'fixtures', 'preload', 'crash-on-usr2.js')],
    });
    const worker = workerPid(crash);
    process.kill(crash.pid, 'SIGUSR2');
    const { code } = await crash.waitExit();
    assert.notEqual(code, 0);
    assert.match(crash.output(), /crash injected by the test/);
    assert.equal(fs.existsSync(crashPid), false, 'pidfile left after a crash');
    assert.equal(fs.existsSync(crash.socketPath), false, 'socket left after a crash');
    assert.ok(await waitGone(worker), 'the worker outlived its crashed master');
    await crash.stop();

    const keepPid = path.join(dir, 'keep.pid');
    const keep = await startServer({ app: 'identity.js', args: ['--pidfile', keepPid, '--no-vacuum'] });
    process.kill(keep.pid, 'SIGTERM');
    assert.equal((await keep.waitExit()).code, 0);
    assert.ok(fs.existsSync(keepPid), '--no-vacuum removed the pidfile');
    assert.ok(fs.lstatSync(keep.socketPath).isSocket(), '--no-vacuum removed the socket');
    await keep.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--chdir: the workers run there and relative paths resolve there; --env reaches the app, commas and all', async () => {
  const dir = tempDir();
  try {
    const server = await startServer({
      app: 'identity.js',
      args: ['--chdir', dir, '--pidfile', 'relative.pid', '--env', 'GREETING=hello, world', '--env', 'EMPTY=', '--env', 'GREETING2=a=b'],
    });
    try {
      const seen = await identityOf(server.socketPath);
      assert.equal(seen.cwd, fs.realpathSync(dir));
      assert.equal(fs.readFileSync(path.join(dir, 'relative.pid'), 'utf8'), `${server.pid}\n`);
      assert.equal(seen.env.GREETING, 'hello, world');
      assert.equal(seen.env.EMPTY, '');
      assert.equal(seen.env.GREETING2, 'a=b');
    } finally {
      await server.stop();
    }
    const missing = await startServer({ app: 'identity.js', waitReady: 0, args: ['--chdir', path.join(dir, 'nope')] });
    assert.equal((await missing.waitExit()).code, 2);
    assert.match(missing.output(), /config_error option=--chdir value=\S+nope error=.*ENOENT/);
    await missing.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a --listen above net.core.somaxconn is reported with the sysctl to raise', async () => {
  const somaxconn = readSomaxconn();
  assert.ok(somaxconn !== null, 'needs /proc/sys/net/core/somaxconn (Linux)');
  const backlog = 65535;
  const server = await startServer({ app: 'identity.js', args: ['--listen', String(backlog)] });
  try {
    if (somaxconn < backlog) {
      assert.match(server.output(), new RegExp(`listen_backlog_capped warning=".*--listen ${backlog} is capped .* net\\.core\\.somaxconn = ${somaxconn}.*sysctl -w net\\.core\\.somaxconn=${backlog}`));
    } else {
      assert.doesNotMatch(server.output(), /listen_backlog_capped/);
    }
  } finally {
    await server.stop();
  }
  const fits = await startServer({ app: 'identity.js', args: ['--listen', String(Math.min(somaxconn, 1024))] });
  try {
    assert.doesNotMatch(fits.output(), /listen_backlog_capped/);
  } finally {
    await fits.stop();
  }
});

test('a master that is not root cannot switch users or chown its socket: exit code 7 with the reason', async () => {
  const dir = tempDir();
  fs.chmodSync(dir, 0o777);
  try {
    const run = (args: string[]) =>
      spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, '--socket', path.join(dir, 'app.sock'), ...args, path.join(FIXTURE_APPS, 'identity.js')], {
        encoding: 'utf8',
        timeout: 20_000,
      });
    const uid = run(['--uid', 'root']);
    assert.equal(uid.status, 7, uid.stderr);
    assert.match(uid.stderr, /privileges_failed code=UWSGI_TS_PRIVILEGES_NOT_PERMITTED error="switching the workers to uid 0 needs root, and the master runs as uid 65534"/);
    const chown = run(['--chown-socket', 'root']);
    assert.equal(chown.status, 7, chown.stderr);
    assert.match(chown.stderr, /privileges_failed code=UWSGI_TS_PRIVILEGES_NOT_PERMITTED error="--chown-socket: cannot change the owner of .*app\.sock to 0:-1: EPERM/);
    assert.deepEqual(fs.readdirSync(dir), [], 'files left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--chown-socket/--chmod-socket decide who may connect: nobody gets in through the group, not without it', async () => {
  const connectAsNobody = (socket: string) =>
    spawnSync(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, '-e', `require('net').connect(${JSON.stringify(socket)}).on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(1); })`],
      { encoding: 'utf8', timeout: 20_000 },
    );
  const open = await startServer({ app: 'identity.js', args: ['--chown-socket', `:${nobodyGroup.name}`, '--chmod-socket', '660'] });
  const closed = await startServer({ app: 'identity.js', args: ['--chmod-socket', '660'] });
  try {
    for (const server of [open, closed]) fs.chmodSync(server.dir, 0o755);
    const st = fs.statSync(open.socketPath);
    assert.deepEqual([st.uid, st.gid], [0, nobody.gid]);
    const allowed = connectAsNobody(open.socketPath);
    assert.equal(allowed.status, 0, allowed.stdout + allowed.stderr);
    const refused = connectAsNobody(closed.socketPath);
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout.trim(), 'EACCES');
  } finally {
    await open.stop();
    await closed.stop();
  }
});
