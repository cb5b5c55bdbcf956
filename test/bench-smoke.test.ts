/**
 * The benchmarks run. End to end: one short round of the hello case for the JS path and
 * nginx alone, through the real harness (nginx, wrk, /proc), and its report has every row
 * with numbers and no errors. Needs wrk (Debian package), like the benchmark itself.
 * Scrape latency: one round of two scrapes per endpoint and phase, every row filled.
 * Parser: one short round, a row with both rates and their ratio per packet and workload.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/server';

test('bench:e2e produces a report: req/s, latency, CPU per request and RSS for each backend', () => {
  // Pinned (to CPU 0, which every machine has), so the pinning is exercised too.
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'dist', 'bench', 'e2e.js'),
      ...['--rounds', '1', '--duration', '1', '--warmup', '1', '--cases', 'hello', '--backends', 'uwsgi-ts-js,nginx-return'],
      ...['--wrk-threads', '2', '--backend-cpus', '0', '--load-cpus', '0'],
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const row = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`| ${name} |`));
  const js = row('uwsgi-ts-js')?.split('|').map((c) => c.trim());
  assert.ok(js, r.stdout);
  // | backend | req/s | min–max | p50 | p99 | CPU µs/req | CPU % | nginx µs/req | RSS | of it file-backed | errors |
  assert.ok(Number(js[2]) > 0, `req/s ${js[2]}`);
  assert.ok(Number(js[6]) > 0, `backend CPU per request ${js[6]}`);
  assert.ok(Number(js[9]) > 10, `worker RSS ${js[9]} MiB`);
  assert.ok(Number(js[10]) > 0 && Number(js[10]) < Number(js[9]), `file-backed ${js[10]} of ${js[9]} MiB`);
  assert.equal(js[11], '0', 'errors');
  const ceiling = row('nginx-return')?.split('|').map((c) => c.trim());
  assert.ok(ceiling && Number(ceiling[2]) > 0 && ceiling[6] === '–', r.stdout);
  assert.match(r.stdout, /^- machine: \d+ CPUs/m);
  assert.match(r.stdout, /wrk -t2 -c50/);
  // What /proc says after pinning: every backend process and every nginx process on CPU 0.
  assert.match(r.stdout, /^- pinned: backends to CPUs 0, nginx and wrk to CPUs 0; affinity read back: backends 0, nginx 0$/m);
  assert.match(r.stdout, /### Targets/);
});

test('bench:metrics produces a report: scrape latency per endpoint, idle and under load', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bench', 'metrics.bench.js'), '--rounds', '1', '--scrapes', '2'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  for (const endpoint of ['/metrics', '/stats', '/healthz']) {
    for (const phase of ['idle', 'load']) {
      // | endpoint | phase | scrapes | median ms | p90 ms | max ms | every worker up |
      const cells = r.stdout
        .split('\n')
        .find((l) => l.startsWith(`| ${endpoint} | ${phase} |`))
        ?.split('|')
        .map((c) => c.trim());
      assert.ok(cells, `no ${endpoint} ${phase} row in:\n${r.stdout}`);
      assert.equal(cells[3], '2');
      assert.ok(Number(cells[4]) > 0 && Number(cells[6]) >= Number(cells[4]), `${endpoint} ${phase}: ${cells.join(' | ')}`);
      if (endpoint === '/metrics') assert.match(cells[7]!, /^\d\/2$/);
    }
  }
  assert.match(r.stdout, /^- load: median \d+ req\/s/m);
  assert.match(r.stdout, /^Target: \/metrics median under load/m);
});

test('bench:parser produces a report: native and TS rates and their ratio per packet and workload', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bench', 'parser.bench.js'), '--rounds', '1', '--seconds', '0.05'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /64 packet variants per case/);
  // | packet (vars block) | workload | native | TS | native/TS |
  const rows = r.stdout
    .split('\n')
    .filter((l) => /^\| ~?\d+ B/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
  assert.equal(rows.length, 9, r.stdout);
  for (const cells of rows) {
    const native = parseFloat(cells[3]);
    const ts = parseFloat(cells[4]);
    assert.ok(native > 0 && ts > 0, cells.join(' | '));
    assert.match(cells[5], /^\d+\.\d\d×$/);
    // The rates are printed rounded to 0.001 M/s, the ratio from the unrounded medians.
    assert.ok(Math.abs(parseFloat(cells[5]) - native / ts) <= 0.02 * (native / ts), cells.join(' | '));
  }
  assert.deepEqual([...new Set(rows.map((c) => c[2]))], ['parseBlock only', 'parse + Environ + 5 lazy gets', 'parse + Environ + toObject()']);
});
