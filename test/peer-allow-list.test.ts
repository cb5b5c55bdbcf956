/**
 * --allow-from: which peers a TCP socket accepts (the uwsgi vars are trusted input), and
 * the warning for a socket that listens beyond loopback without a list.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { LOOPBACK_CIDRS, PeerAllowList, formatCidr, isLoopbackHost, parseCidr } from '../src/worker/peer-allow-list';
import { trustWarnings } from '../src/main';
import { resolveConfig } from '../src/config';
import { startServer } from './helpers/server';
import { freePort } from './helpers/nginx';
import { nginxVars, packet, parseResponse } from './helpers/uwsgi-client';

test('parseCidr: addresses, networks, and what is refused', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { ok: true, cidr: { family: 'ipv4', address: '10.0.0.0', prefix: 8 } });
  assert.deepEqual(parseCidr('192.168.1.5'), { ok: true, cidr: { family: 'ipv4', address: '192.168.1.5', prefix: 32 } });
  assert.deepEqual(parseCidr('fd00::/8'), { ok: true, cidr: { family: 'ipv6', address: 'fd00::', prefix: 8 } });
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0/8', '10.0.0.0/', '10.0.0.0/x', '']) {
    assert.equal(parseCidr(bad).ok, false, bad);
  }
  assert.equal(formatCidr({ family: 'ipv6', address: '::1', prefix: 128 }), '::1/128');
});

test('PeerAllowList: networks, IPv4-mapped IPv6 peers, junk', () => {
  const list = new PeerAllowList([
    { family: 'ipv4', address: '10.0.0.0', prefix: 8 },
    { family: 'ipv6', address: 'fd00::', prefix: 8 },
  ]);
  assert.equal(list.allows('10.1.2.3'), true);
  assert.equal(list.allows('::ffff:10.1.2.3'), true);
  assert.equal(list.allows('11.0.0.1'), false);
  assert.equal(list.allows('fd12::1'), true);
  assert.equal(list.allows('fe80::1'), false);
  assert.equal(list.allows('not-an-ip'), false);
  assert.equal(list.allows(undefined), false);
  const loopback = new PeerAllowList(LOOPBACK_CIDRS);
  assert.equal(loopback.allows('127.0.0.1'), true);
  assert.equal(loopback.allows('127.9.9.9'), true);
  assert.equal(loopback.allows('::1'), true);
  assert.equal(loopback.allows('192.168.0.1'), false);
  assert.equal(isLoopbackHost('localhost'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('::'), false);
});

test('a TCP socket beyond loopback with the default list is warned about; an explicit list silences it', () => {
  const argv = (extra: string[]) => resolveConfig(['--socket', '0.0.0.0:3031', '--socket', '127.0.0.1:3032', ...extra, 'app.js'], {}, '/');
  const implicit = argv([]);
  const warnings = trustWarnings(implicit.config, implicit.sources.allowFrom);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^0\.0\.0\.0:3031 listens beyond loopback but accepts only 127\.0\.0\.0\/8, ::1\/128: list the front servers with --allow-from/);
  const explicit = argv(['--allow-from', '10.0.0.0/8']);
  assert.deepEqual(trustWarnings(explicit.config, explicit.sources.allowFrom), []);
});

function tcpRequest(port: number, localAddress: string): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => s.write(packet(nginxVars('GET', '/hello'))));
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve({ data: Buffer.concat(chunks), closed: true }));
  });
}

test('peers outside --allow-from are closed at once and logged; listed peers are served', async () => {
  const port = await freePort();
  const server = await startServer({ app: 'echo.js', args: ['--socket', `127.0.0.1:${port}`, '--allow-from', '127.0.0.2'] });
  try {
    const allowed = await tcpRequest(port, '127.0.0.2');
    assert.equal(parseResponse(allowed.data).status, 200);
    const refused = await tcpRequest(port, '127.0.0.1');
    assert.equal(refused.data.length, 0);
    await server.waitForOutput(/connection_rejected reason=peer_not_allowed detail="peer 127\.0\.0\.1 is not in --allow-from"/);
  } finally {
    await server.stop();
  }
});

test('by default a TCP socket serves loopback peers', async () => {
  const port = await freePort();
  const server = await startServer({ app: 'echo.js', args: ['--socket', `127.0.0.1:${port}`] });
  try {
    assert.equal(parseResponse((await tcpRequest(port, '127.0.0.1')).data).status, 200);
    assert.doesNotMatch(server.output(), /socket_trust/);
  } finally {
    await server.stop();
  }
});
