/**
 * Scrape latency benchmark: how long /metrics, /stats and /healthz take on a master with
 * busy workers, against the same master idle. A scrape collects every worker's series
 * over IPC, so a worker that is busy serving answers between two requests; this measures
 * what that costs a scraper.
 *
 *   npm run bench:metrics -- [--rounds 5] [--scrapes 10] [--workers 2] [--concurrency 16]
 *                            [--out report.md]
 *
 * One uwsgi-ts master (bench/apps/hello.js, request log off) with --metrics on loopback.
 * The load is a separate process sending uwsgi GET requests straight to the socket, as
 * fast as it can, over --concurrency connections at a time. Each round scrapes every
 * endpoint --scrapes times idle and as many times under load (idle first in even rounds,
 * load first in odd ones), the endpoints interleaved; the report gives medians, 90th
 * percentiles and maxima over all rounds, and how many /metrics scrapes had every worker
 * answer in time (uwsgi_ts_worker_up).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../test/helpers/nginx';
import { httpRequest } from '../test/helpers/http';
import { parseMetrics, total } from '../test/helpers/prometheus';
import { startUwsgiLoad, type UwsgiLoad } from '../test/helpers/uwsgi-load';
import { median } from './e2e/report';
import { hostLines } from './host';

/** dist/bench/metrics.bench.js → the package root is two levels up. */
const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'uwsgi-ts.js');
const APP = path.join(ROOT, 'bench', 'apps', 'hello.js');

/** What a scrape under load should stay within: Prometheus' default scrape timeout is
 * 10 s, but a scrape that takes a noticeable share of a 1 s dashboard refresh is felt;
 * the master gives a stuck worker at most WORKER_COLLECT_TIMEOUT_MS (80 ms) of it. */
const SCRAPE_TARGET_MS = 100;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Requests the load must have served before a load phase is measured. */
const LOAD_WARM_REQUESTS = 300;

const ENDPOINTS = ['/metrics', '/stats', '/healthz'] as const;
type Endpoint = (typeof ENDPOINTS)[number];
type Phase = 'idle' | 'load';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

function positiveInt(name: string, fallback: number): number {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${arg(name, '')}`);
  return value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  if (!(await exited(child, STOP_TIMEOUT_MS))) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited(child, STOP_TIMEOUT_MS);
  }
}

async function startMaster(dir: string, workers: number, port: number): Promise<{ child: ChildProcess; socket: string; stderr: () => string }> {
  const socket = path.join(dir, 'app.sock');
  const args = [BIN, '--socket', socket, '--workers', String(workers), '--metrics', `127.0.0.1:${port}`, '--disable-logging', APP];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    // /readyz answers 200 once one worker is ready; the measurement wants all of them.
    const scraped = await httpRequest(`http://127.0.0.1:${port}/metrics`, { timeoutMs: 1000 }).catch(() => null);
    if (scraped?.status === 200 && total(parseMetrics(scraped.body.toString()), 'uwsgi_ts_worker_up') === workers) {
      return { child, socket, stderr: () => err };
    }
    await sleep(100);
  }
  await stopProcess(child);
  throw new Error(`uwsgi-ts did not become ready within ${START_TIMEOUT_MS} ms:\n${err}`);
}

interface Timing {
  endpoint: Endpoint;
  phase: Phase;
  ms: number;
  /** /metrics only: whether every worker answered in time. */
  allWorkersUp?: boolean;
}

async function scrapeOnce(base: string, endpoint: Endpoint, phase: Phase, workers: number): Promise<Timing> {
  const t0 = performance.now();
  const r = await httpRequest(`${base}${endpoint}`);
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${endpoint} answered ${r.status}`);
  if (endpoint !== '/metrics') return { endpoint, phase, ms };
  return { endpoint, phase, ms, allWorkersUp: total(parseMetrics(r.body.toString()), 'uwsgi_ts_worker_up') === workers };
}

async function measurePhase(base: string, phase: Phase, scrapes: number, workers: number, out: Timing[]): Promise<void> {
  for (let i = 0; i < scrapes; i++) {
    for (const endpoint of ENDPOINTS) out.push(await scrapeOnce(base, endpoint, phase, workers));
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(timings: readonly Timing[], loadRates: readonly number[], o: { rounds: number; scrapes: number; workers: number; concurrency: number }): string {
  const lines = [
    '## Scrape latency',
    '',
    ...hostLines(),
    `- node ${process.version}`,
    `- command: \`node dist/bench/metrics.bench.js ${process.argv.slice(2).join(' ')}\`` +
      ` (${o.workers} workers, ${o.concurrency} load connections, ${o.rounds} rounds of ${o.scrapes} scrapes per endpoint and phase)`,
    `- load: median ${Math.round(median(loadRates))} req/s over the load phases (min ${Math.round(Math.min(...loadRates))}, max ${Math.round(Math.max(...loadRates))})`,
    '',
    '| endpoint | phase | scrapes | median ms | p90 ms | max ms | every worker up |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const endpoint of ENDPOINTS) {
    for (const phase of ['idle', 'load'] as const) {
      const these = timings.filter((t) => t.endpoint === endpoint && t.phase === phase);
      const ms = these.map((t) => t.ms);
      const up = endpoint === '/metrics' ? `${these.filter((t) => t.allWorkersUp).length}/${these.length}` : '–';
      lines.push(`| ${endpoint} | ${phase} | ${these.length} | ${median(ms).toFixed(1)} | ${percentile(ms, 90).toFixed(1)} | ${Math.max(...ms).toFixed(1)} | ${up} |`);
    }
  }
  const underLoad = median(timings.filter((t) => t.endpoint === '/metrics' && t.phase === 'load').map((t) => t.ms));
  lines.push('', `Target: /metrics median under load ≤ ${SCRAPE_TARGET_MS} ms: ${underLoad.toFixed(1)} ms, ${underLoad <= SCRAPE_TARGET_MS ? 'met' : 'NOT met'}.`, '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const rounds = positiveInt('rounds', 5);
  const scrapes = positiveInt('scrapes', 10);
  const workers = positiveInt('workers', 2);
  const concurrency = positiveInt('concurrency', 16);
  const outFile = arg('out', '');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-bench-metrics-'));
  const port = await freePort();
  const master = await startMaster(dir, workers, port);
  const base = `http://127.0.0.1:${port}`;
  const timings: Timing[] = [];
  const loadRates: number[] = [];
  let load: UwsgiLoad | null = null;
  try {
    for (let round = 0; round < rounds; round++) {
      const phases: Phase[] = round % 2 === 0 ? ['idle', 'load'] : ['load', 'idle'];
      for (const phase of phases) {
        if (phase === 'idle') {
          await measurePhase(base, 'idle', scrapes, workers, timings);
          continue;
        }
        load = startUwsgiLoad(master.socket, concurrency, '/');
        for (let i = 0; i < 400 && load.served() < LOAD_WARM_REQUESTS; i++) await sleep(25);
        if (load.served() < LOAD_WARM_REQUESTS) throw new Error(`the load did not get going (${load.served()} requests in 10 s)`);
        const from = load.served();
        const t0 = performance.now();
        await measurePhase(base, 'load', scrapes, workers, timings);
        // The load process reports every 100 ms; wait for one more report so the count
        // covers the whole phase.
        await sleep(150);
        loadRates.push(((load.served() - from) * 1000) / (performance.now() - t0));
        await stopProcess(load.child);
        load = null;
      }
    }
  } finally {
    if (load !== null) await stopProcess(load.child);
    await stopProcess(master.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const text = report(timings, loadRates, { rounds, scrapes, workers, concurrency });
  process.stdout.write(text);
  if (outFile !== '') fs.writeFileSync(outFile, text);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:metrics failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
