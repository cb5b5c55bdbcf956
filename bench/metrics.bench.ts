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
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../test/helpers/nginx';
import { startServer } from '../test/helpers/server';
import { httpRequest } from '../test/helpers/http';
import { parseMetrics, total } from '../test/helpers/prometheus';
import { startUwsgiLoad, type UwsgiLoad } from '../test/helpers/uwsgi-load';
import { median } from './e2e/report';
import { arg, positiveInt } from './args';
import { hostLines } from './host';

/** dist/bench/metrics.bench.js → the package root is two levels up. */
const ROOT = path.resolve(__dirname, '..', '..');
const APP = path.join(ROOT, 'bench', 'apps', 'hello.js');

/** What a scrape under load should stay within: Prometheus' default scrape timeout is
 * 10 s, but a scrape that takes a noticeable share of a 1 s dashboard refresh is felt;
 * the master gives a stuck worker at most WORKER_COLLECT_TIMEOUT_MS (80 ms) of it. */
const SCRAPE_TARGET_MS = 100;
/** Workers load the app and report ready well within this, even on a busy machine. */
const START_TIMEOUT_MS = 30_000;
/** Requests the load must have served before a load phase is measured. */
const LOAD_WARM_REQUESTS = 300;
/** The load serves thousands of requests a second once its process has started. */
const LOAD_WARM_TIMEOUT_MS = 10_000;

const ENDPOINTS = ['/metrics', '/stats', '/healthz'] as const;
type Endpoint = (typeof ENDPOINTS)[number];
type Phase = 'idle' | 'load';

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
  const port = await freePort();
  // Waits until every worker reported ready, so each scrape can count them all.
  const server = await startServer({
    app: APP,
    workers,
    args: ['--metrics', `127.0.0.1:${port}`, '--disable-logging'],
    timeoutMs: START_TIMEOUT_MS,
  });
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
        load = startUwsgiLoad(server.socketPath, concurrency, '/');
        const warm = await load.waitServed(LOAD_WARM_REQUESTS, LOAD_WARM_TIMEOUT_MS);
        if (warm < LOAD_WARM_REQUESTS) throw new Error(`the load did not get going (${warm} requests in ${LOAD_WARM_TIMEOUT_MS} ms)`);
        const from = load.served();
        const t0 = performance.now();
        await measurePhase(base, 'load', scrapes, workers, timings);
        // The next report's count covers the whole phase.
        const to = await load.nextReport();
        loadRates.push(((to - from) * 1000) / (performance.now() - t0));
        // A load generator has nothing to finish: stopped at once, as the tests do.
        load.child.kill('SIGKILL');
        load = null;
      }
    }
  } finally {
    load?.child.kill('SIGKILL');
    await server.stop();
  }
  const text = report(timings, loadRates, { rounds, scrapes, workers, concurrency });
  process.stdout.write(text);
  if (outFile !== '') fs.writeFileSync(outFile, text);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:metrics failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
