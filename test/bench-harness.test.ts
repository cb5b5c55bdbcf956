/**
 * The end-to-end benchmark's pure parts: reading wrk's report and /proc, medians, the
 * target ratios and the nginx config it generates.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseWrk, wrkArgs } from '../bench/e2e/wrk';
import { parseRss, parseStat, processTree, cpuSeconds } from '../bench/e2e/proc';
import { caseTable, median, summarize, targets, targetTable, type Sample } from '../bench/e2e/report';
import { nginxConf } from '../bench/e2e/nginx';
import { formatCpuList, onCpus, parseCpuList } from '../bench/e2e/pinning';

const WRK_OUTPUT = `Running 1s test @ http://127.0.0.1:18777/
  1 threads and 5 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.21ms    4.24ms  32.23ms   90.13%
    Req/Sec     9.84k     4.43k   17.89k    60.00%
  Latency Distribution
     50%  208.00us
     75%    2.53ms
     90%    6.38ms
     99%   23.32ms
  9832 requests in 1.01s, 1.16MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   9733.58
Transfer/sec:      1.15MB
`;

test('wrk: requests, req/s, p50/p99 in ms whatever the unit, and every failure counted', () => {
  assert.deepEqual(parseWrk(WRK_OUTPUT), { requests: 9832, seconds: 1.01, reqPerSec: 9733.58, p50Ms: 0.208, p99Ms: 23.32, errors: 7 });
  const clean = WRK_OUTPUT.replace(/^ {2}Socket errors.*\n/m, '').replace(/^ {2}Non-2xx.*\n/m, '').replace('23.32ms', '1.50s');
  assert.equal(parseWrk(clean).errors, 0);
  assert.equal(parseWrk(clean).p99Ms, 1500);
  assert.throws(() => parseWrk('wrk: connection refused'), /unexpected wrk output/);
  assert.deepEqual(wrkArgs({ url: 'http://x/', seconds: 5, connections: 50, threads: 1, script: 'p.lua' }), [
    '-t', '1', '-c', '50', '-d', '5s', '--latency', '-s', 'p.lua', 'http://x/',
  ]);
  assert.throws(() => wrkArgs({ url: 'http://x/', seconds: 0.5, connections: 1, threads: 1 }), /whole seconds/);
});

test('/proc: stat fields counted from the last parenthesis; RSS in bytes; this process is in its own tree', () => {
  const stat = '4242 (node (worker) 1) S 17 4242 4242 0 -1 4194560 1 0 0 0 250 31 0 0 20 0 11 0 100 1 1';
  assert.deepEqual(parseStat(stat), { pid: 4242, ppid: 17, cpuTicks: 281 });
  assert.deepEqual(parseRss('Name:\tnode\nVmRSS:\t   51200 kB\nRssAnon:\t   12288 kB\nRssFile:\t   38912 kB\nVmSwap:\t0 kB\n'), {
    total: 51200 * 1024,
    file: 38912 * 1024,
  });
  assert.deepEqual(parseRss('Name:\tzombie\n'), { total: 0, file: 0 });
  assert.ok(processTree(process.pid).includes(process.pid));
  assert.ok(cpuSeconds([process.pid]) > 0);
});

function sample(backend: string, benchCase: string, round: number, reqPerSec: number, cpuUsPerReq: number | null, rss: number | null): Sample {
  return {
    backend, benchCase, round, reqPerSec, p50Ms: 1, p99Ms: 2, errors: 0, requests: reqPerSec * 5,
    cpuUsPerReq, cpuPercent: cpuUsPerReq === null ? null : 50, nginxCpuUsPerReq: 30, workerRssMiB: rss,
    workerRssFileMiB: rss === null ? null : rss / 2,
  };
}

test('medians per backend and case; ratios against the targets say met or NO, and what was not measured', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const samples = [
    ...[20000, 22000, 21000].map((r, i) => sample('uwsgi-ts-native', 'hello', i, r, [14, 15, 16][i], 40)),
    ...[24000, 25000, 26000].map((r, i) => sample('uwsgi-c', 'hello', i, r, 20, 12)),
    ...[19000, 20000, 21000].map((r, i) => sample('node-http', 'hello', i, r, 30, 50)),
  ];
  const summaries = summarize(samples);
  const native = summaries.find((s) => s.backend === 'uwsgi-ts-native')!;
  assert.equal(native.reqPerSec, 21000);
  assert.equal(native.reqPerSecMin, 20000);
  assert.equal(native.cpuUsPerReq, 15);
  assert.equal(native.workerRssFileMiB, 20);
  assert.match(caseTable(summaries, 'hello', ['uwsgi-ts-native', 'uwsgi-c', 'node-http']), /^\| uwsgi-ts-native \| 21000 \| 20000–22000 \| .* \| 40\.0 \| 20\.0 \| 0 \|$/m);
  const list = targets(summaries, 'uwsgi-ts-native');
  const cpu = list.find((t) => t.what.includes('backend CPU/req ÷ uwsgi-c'))!;
  assert.equal(cpu.ratio, 0.75);
  const rps = list.find((t) => t.what.includes('req/s ÷ uwsgi-c') && t.what.startsWith('hello'))!;
  assert.equal(rps.ratio, 21000 / 25000);
  const table = targetTable(list);
  assert.match(table, /backend CPU\/req ÷ uwsgi-c \| 0\.75× \| ≤ 0\.85× \| yes/);
  assert.match(table, /hello: uwsgi-ts-native req\/s ÷ uwsgi-c \| 0\.84× \| ≥ 0\.95× \| NO/);
  assert.match(table, /64k: .* \| – \| ≥ 1× \| not measured/);
});

test('nginx config: a server per backend on loopback, upstreams at http level, bodies kept in memory', () => {
  const conf = nginxConf({
    dir: '/tmp/b',
    workers: 'auto',
    asRoot: true,
    servers: [
      { port: 8001, location: 'uwsgi_pass unix:/tmp/b/a.sock;', httpExtra: '' },
      { port: 8002, location: 'proxy_pass http://u;', httpExtra: 'upstream u { server unix:/tmp/b/h.sock; keepalive 64; }' },
    ],
  });
  assert.match(conf, /^user root;/);
  assert.match(conf, /listen 127\.0\.0\.1:8001 backlog=4096;\s+location \/ \{ uwsgi_pass unix:\/tmp\/b\/a\.sock; \}/);
  assert.match(conf, /upstream u \{ server unix:\/tmp\/b\/h\.sock; keepalive 64; \}/);
  assert.match(conf, /client_body_buffer_size 2m;/);
  assert.match(conf, /access_log off;/);
});

test('pinning: CPU lists parsed like taskset -c, checked against the machine, printed back the same way', () => {
  assert.deepEqual(parseCpuList('load-cpus', '0-3,6', 8), [0, 1, 2, 3, 6]);
  assert.deepEqual(parseCpuList('load-cpus', '5,1-2,2', 8), [1, 2, 5]);
  assert.equal(formatCpuList([0, 1, 2, 3, 6]), '0-3,6');
  assert.equal(formatCpuList([1, 3, 4]), '1,3-4');
  assert.throws(() => parseCpuList('backend-cpus', '8', 8), /--backend-cpus: CPU 8 does not exist \(this machine has CPUs 0-7\)/);
  assert.throws(() => parseCpuList('backend-cpus', '3-1', 8), /--backend-cpus: range 3-1 runs backwards/);
  assert.throws(() => parseCpuList('load-cpus', 'all', 8), /--load-cpus: "all" is not a CPU list/);
  assert.deepEqual(onCpus(undefined, 'wrk', ['-t', '1']), ['wrk', ['-t', '1']]);
  assert.deepEqual(onCpus([0, 1, 4], 'wrk', ['-t', '1']), ['taskset', ['-c', '0-1,4', 'wrk', '-t', '1']]);
});
