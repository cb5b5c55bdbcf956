/**
 * The listen queue readers: the native sock_diag one and its TypeScript twin, one test
 * body against both, on sockets that listen without anyone accepting (as the master's do).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { loadAddon } from '../src/addon';
import {
  LISTEN_QUEUE_OUT_LENGTH,
  ListenQueueStatus,
  nativeListenQueueReader,
  readListenQueue,
  tsListenQueueReader,
  type ListenQueueReader,
} from '../src/metrics/listen-queue';
import { openSocket } from '../src/supervisor/sockets';
import { tempDir, ROOT } from './helpers/server';
import { connectMany } from './helpers/connections';

const addon = loadAddon();
if (!addon.ok) throw new Error(`the native addon is required by this test: ${addon.reason}`);
const listenFd = addon.addon.listenFd;

interface ReaderCase {
  name: string;
  reader: ListenQueueReader;
  /** What the reader can say about a unix listener / the max of a TCP listener. */
  unix: 'exact' | 'needs_netlink';
  tcpMax: boolean;
}

const READERS: ReaderCase[] = [
  { name: 'native (sock_diag)', reader: nativeListenQueueReader(addon.addon), unix: 'exact', tcpMax: true },
  { name: 'typescript twin (/proc)', reader: tsListenQueueReader, unix: 'needs_netlink', tcpMax: false },
];

function freePortOn(host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(null));
    probe.listen(0, host, () => {
      const p = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
}

for (const c of READERS) {
  test(`${c.name}: depth and max of a unix listener nobody accepts on`, async () => {
    const dir = tempDir();
    const sock = await openSocket({ kind: 'unix', path: path.join(dir, 'q.sock') }, { backlog: 32, listenFd });
    const clients = await connectMany({ path: path.join(dir, 'q.sock') }, 6);
    try {
      const r = readListenQueue(c.reader, sock.fd);
      if (c.unix === 'exact') {
        assert.equal(r.code, 'ok');
        assert.equal(r.depth, 6);
        assert.equal(r.max, 32);
      } else {
        assert.equal(r.status, ListenQueueStatus.NEEDS_NETLINK);
      }
    } finally {
      for (const s of clients) s.destroy();
      sock.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${c.name}: depth (and max where known) of a TCP listener, IPv4 and IPv6`, async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const port = await freePortOn(host);
      if (port === null) {
        assert.equal(host, '::1', 'IPv4 loopback must be available');
        continue; // this machine has no IPv6 loopback
      }
      const sock = await openSocket({ kind: 'tcp', host, port }, { backlog: 16, listenFd });
      const clients = await connectMany({ host, port }, 4);
      try {
        const r = readListenQueue(c.reader, sock.fd);
        assert.equal(r.code, 'ok', host);
        assert.equal(r.depth, 4, host);
        assert.equal(r.max, c.tcpMax ? 16 : -1, host);
      } finally {
        for (const s of clients) s.destroy();
        sock.close();
      }
    }
  });

  test(`${c.name}: a bound socket that does not listen, a file, a closed fd, bad arguments`, async () => {
    const dir = tempDir();
    try {
      const bound = await openSocket({ kind: 'unix', path: path.join(dir, 'b.sock') }, { backlog: 8 });
      const r = readListenQueue(c.reader, bound.fd);
      assert.equal(r.status, c.unix === 'exact' ? ListenQueueStatus.NOT_LISTENING : ListenQueueStatus.NEEDS_NETLINK);
      bound.close();
      const fd = fs.openSync(path.join(ROOT, 'package.json'), 'r');
      assert.equal(readListenQueue(c.reader, fd).status, ListenQueueStatus.NOT_A_SOCKET);
      fs.closeSync(fd);
      const closed = readListenQueue(c.reader, fd);
      assert.equal(closed.status, ListenQueueStatus.NOT_A_SOCKET);
      assert.equal(closed.errno, 9, 'EBADF');
      assert.equal(c.reader(-1, new Int32Array(LISTEN_QUEUE_OUT_LENGTH)), ListenQueueStatus.BAD_ARGUMENTS);
      assert.equal(c.reader(0, new Int32Array(1)), ListenQueueStatus.BAD_ARGUMENTS);
      assert.equal(c.reader(0, new Float64Array(3) as unknown as Int32Array), ListenQueueStatus.BAD_ARGUMENTS);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('native/sock_diag.h and listen-queue.ts agree on every status number', () => {
  const header = fs.readFileSync(path.join(ROOT, 'native', 'sock_diag.h'), 'utf8');
  const body = header.slice(header.indexOf('enum class ListenQueueStatus'));
  const native = Object.fromEntries(
    [...body.slice(0, body.indexOf('};')).matchAll(/^\s*([A-Z_]+) = (\d+),/gm)].map((m) => [m[1], Number(m[2])]),
  );
  assert.deepEqual(native, { ...ListenQueueStatus });
});
