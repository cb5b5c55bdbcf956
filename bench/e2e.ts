/**
 * End-to-end benchmark: real nginx + wrk on loopback in front of each backend (uwsgi-ts
 * on both I/O paths, uwsgi-ts with an Express app, node:http behind proxy_pass with
 * upstream keepalive, uWSGI's C core with a Python WSGI app, and nginx alone as the
 * ceiling), one worker process each. Each case gets fresh processes; its rounds are
 * interleaved (every backend once per round, in a rotating order) and the report gives
 * medians.
 *
 *   npm run bench:e2e -- [--rounds 3] [--duration 5] [--warmup 1] [--connections 50]
 *                        [--backends a,b] [--cases hello,64k,post-1m] [--nginx-workers auto]
 *                        [--wrk-threads 1] [--backend-cpus LIST --load-cpus LIST]
 *                        [--out report.md] [--json samples.json] [--uwsgi-ts DIR]
 *
 * --backend-cpus and --load-cpus (taskset lists, e.g. 8 and 0-7) pin the backends to some
 * CPUs and nginx and wrk to others (bench/e2e/pinning.ts): on a machine with cores to
 * spare, each backend is then the limit of its own req/s, which an unpinned run on a small
 * machine cannot show.
 *
 * --uwsgi-ts DIR benchmarks the uwsgi-ts built in another checkout (its bin/uwsgi-ts.js)
 * with this checkout's harness and apps.
 *
 * Needs the Debian packages nginx, wrk, uwsgi-core and uwsgi-plugin-python3.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allBackends, type Backend, type BackendSpec } from './e2e/backends';
import { findNginx, freePort, startNginx, type RunningNginx } from './e2e/nginx';
import { cpuSeconds, processTree, readRss } from './e2e/proc';
import { caseTable, summarize, targets, targetTable, type Sample } from './e2e/report';
import { runWrk } from './e2e/wrk';
import { formatCpuList, parseCpuList, pinTree } from './e2e/pinning';
import { arg, positiveInt } from './args';
import { hostLines } from './host';

/** dist/bench/e2e.js → the package root is two levels up. */
const ROOT = path.resolve(__dirname, '..', '..');
const RSS_SAMPLE_MS = 250;

interface BenchCase {
  name: string;
  path: string;
  script?: string;
}

const CASES: BenchCase[] = [
  { name: 'hello', path: '/' },
  { name: '64k', path: '/64k' },
  { name: 'post-1m', path: '/', script: path.join(ROOT, 'bench', 'apps', 'post-1m.lua') },
];

function version(command: string, args: string[]): string {
  // nginx -v writes to stderr, wrk -v exits 1: take whatever it printed.
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) return `${command}: not installed`;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

function machine(): string[] {
  return hostLines([version('nginx', ['-v']), `uWSGI ${version('uwsgi', ['--version'])}`, version('wrk', ['-v'])]);
}

/** Largest summed RSS of the serving processes, sampled until stopped, and how much of
 * that sample was file-backed; MiB. */
function rssSampler(backend: Backend): { stop(): { total: number; file: number } | null } {
  if (backend.rootPid === null) return { stop: () => null };
  let max = { total: 0, file: 0 };
  const sample = () => {
    const now = backend.workerPids().reduce(
      (sum, pid) => {
        const rss = readRss(pid);
        return { total: sum.total + rss.total, file: sum.file + rss.file };
      },
      { total: 0, file: 0 },
    );
    if (now.total > max.total) max = now;
  };
  sample();
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { total: max.total / 2 ** 20, file: max.file / 2 ** 20 };
    },
  };
}

async function measure(
  spec: BackendSpec,
  backend: Backend,
  port: number,
  benchCase: BenchCase,
  round: number,
  nginx: RunningNginx,
  o: { duration: number; warmup: number; connections: number; wrkThreads: number; pinning: Pinning | null },
): Promise<Sample> {
  const url = `http://127.0.0.1:${port}${benchCase.path}`;
  const wrk = { url, connections: o.connections, threads: o.wrkThreads, script: benchCase.script, cpus: o.pinning?.load };
  if (o.warmup >= 1) await runWrk({ ...wrk, seconds: o.warmup });
  const backendPids = backend.rootPid === null ? [] : processTree(backend.rootPid);
  const nginxPids = processTree(nginx.pid);
  const cpu0 = cpuSeconds(backendPids);
  const nginx0 = cpuSeconds(nginxPids);
  const rss = rssSampler(backend);
  const r = await runWrk({ ...wrk, seconds: o.duration });
  const workerRss = rss.stop();
  const cpu = cpuSeconds(backendPids) - cpu0;
  const nginxCpu = cpuSeconds(nginxPids) - nginx0;
  const requests = Math.max(r.requests, 1);
  return {
    backend: spec.name,
    benchCase: benchCase.name,
    round,
    reqPerSec: r.reqPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    requests: r.requests,
    cpuUsPerReq: backend.rootPid === null ? null : (cpu / requests) * 1e6,
    cpuPercent: backend.rootPid === null ? null : (cpu / r.seconds) * 100,
    nginxCpuUsPerReq: (nginxCpu / requests) * 1e6,
    workerRssMiB: workerRss?.total ?? null,
    workerRssFileMiB: workerRss?.file ?? null,
  };
}

/** Where the backends and the load (nginx, wrk) run, when pinned. */
interface Pinning {
  backends: number[];
  load: number[];
}

interface RunSettings {
  chosen: BackendSpec[];
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  wrkThreads: number;
  pinning: Pinning | null;
  /** Affinities read back after pinning, per process kind, for the report. */
  pinnedAs: Map<string, Set<string>>;
  nginxWorkers: string;
  bin: string;
  uwsgiParams: string;
  uwsgiTsRoot: string;
  dir: string;
}

async function runCase(benchCase: BenchCase, o: RunSettings, samples: Sample[]): Promise<void> {
  const started: { spec: BackendSpec; backend: Backend; port: number }[] = [];
  let nginx: RunningNginx | null = null;
  try {
    for (const spec of o.chosen) {
      process.stderr.write(`starting ${spec.name} for ${benchCase.name}\n`);
      const backend = await spec.start({ root: ROOT, uwsgiTsRoot: o.uwsgiTsRoot, dir: o.dir, uwsgiParams: o.uwsgiParams });
      started.push({ spec, backend, port: await freePort() });
    }
    nginx = await startNginx(o.bin, {
      dir: o.dir,
      workers: o.nginxWorkers,
      asRoot: process.getuid?.() === 0,
      servers: started.map(({ backend, port }) => ({ port, ...backend })),
    });
    if (o.pinning !== null) {
      const note = (what: string, readBack: string[]): void => {
        const seen = o.pinnedAs.get(what) ?? new Set<string>();
        for (const cpus of readBack) seen.add(cpus);
        o.pinnedAs.set(what, seen);
      };
      for (const { backend } of started) {
        if (backend.rootPid !== null) note('backends', pinTree(backend.rootPid, o.pinning.backends));
      }
      note('nginx', pinTree(nginx.pid, o.pinning.load));
    }
    for (let round = 0; round < o.rounds; round++) {
      // Rotate the order every round so no backend always runs first (or last).
      for (let i = 0; i < started.length; i++) {
        const { spec, backend, port } = started[(i + round) % started.length];
        const s = await measure(spec, backend, port, benchCase, round, nginx, o);
        samples.push(s);
        process.stderr.write(
          `round ${round + 1}/${o.rounds} ${benchCase.name} ${spec.name}: ${Math.round(s.reqPerSec)} req/s, ` +
            `${s.cpuUsPerReq === null ? '–' : s.cpuUsPerReq.toFixed(1)} µs/req, errors ${s.errors}\n`,
        );
      }
    }
  } finally {
    await nginx?.stop();
    for (const { backend } of started) await backend.stop();
  }
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '3'));
  const duration = Number(arg('duration', '5'));
  const warmup = Number(arg('warmup', '1'));
  const connections = Number(arg('connections', '50'));
  const nginxWorkers = arg('nginx-workers', 'auto');
  const wrkThreads = positiveInt('wrk-threads', 1);
  const backendCpus = arg('backend-cpus', '');
  const loadCpus = arg('load-cpus', '');
  if ((backendCpus === '') !== (loadCpus === '')) throw new Error('--backend-cpus and --load-cpus go together');
  const cpuCount = os.cpus().length;
  const pinning: Pinning | null =
    backendCpus === '' ? null : { backends: parseCpuList('backend-cpus', backendCpus, cpuCount), load: parseCpuList('load-cpus', loadCpus, cpuCount) };
  const pinnedAs = new Map<string, Set<string>>();
  const uwsgiTsRoot = path.resolve(arg('uwsgi-ts', ROOT));
  const specs = allBackends(uwsgiTsRoot);
  const wantedBackends = arg('backends', specs.filter((s) => !s.optional).map((s) => s.name).join(',')).split(',');
  const wantedCases = arg('cases', CASES.map((c) => c.name).join(',')).split(',');
  const chosen = specs.filter((s) => wantedBackends.includes(s.name));
  const cases = CASES.filter((c) => wantedCases.includes(c.name));
  const header = machine();
  const { bin, uwsgiParams } = findNginx();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-bench-'));
  const samples: Sample[] = [];
  try {
    // Fresh backend processes (and nginx) per case, so a case's worker RSS is that load's
    // alone, not what an earlier case left for the garbage collector; within a case the
    // backends are interleaved round by round.
    for (const benchCase of cases) {
      await runCase(
        benchCase,
        { chosen, rounds, duration, warmup, connections, wrkThreads, pinning, pinnedAs, nginxWorkers, bin, uwsgiParams, uwsgiTsRoot, dir },
        samples,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const summaries = summarize(samples);
  const order = chosen.map((s) => s.name);
  const fast = order.includes('uwsgi-ts-native') ? 'uwsgi-ts-native' : 'uwsgi-ts-js';
  const command = `node dist/bench/e2e.js ${process.argv.slice(2).join(' ')}`.trim();
  const out = [
    ...header,
    `- command: \`${command}\` (per case, fresh processes and ${rounds} interleaved rounds, ${warmup} s warm-up + ${duration} s measured each; ` +
      `wrk -t${wrkThreads} -c${connections}; nginx worker_processes ${nginxWorkers})`,
    ...(pinning === null
      ? []
      : [
          `- pinned: backends to CPUs ${formatCpuList(pinning.backends)}, nginx and wrk to CPUs ${formatCpuList(pinning.load)}; ` +
            `affinity read back: ${[...pinnedAs].map(([what, seen]) => `${what} ${[...seen].join(' / ')}`).join(', ')}`,
        ]),
    '',
    'Backends:',
    ...chosen.map((s) => `- ${s.name}: ${s.description}`),
    '',
  ];
  for (const c of cases) out.push(`### ${c.name}`, '', caseTable(summaries, c.name, order), '');
  out.push(`### Targets (medians of this run; the fast path is ${fast})`, '', targetTable(targets(summaries, fast)), '');
  const report = out.join('\n');
  process.stdout.write(report);
  const outFile = arg('out', '');
  if (outFile) fs.writeFileSync(outFile, report);
  const jsonFile = arg('json', '');
  if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ header, command, samples }, null, 1));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
