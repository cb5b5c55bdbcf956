/**
 * Turns the per-round samples into medians, markdown tables and the ratios against the
 * targets the native path has to meet. Pure functions of the samples (tested).
 */

export interface Sample {
  backend: string;
  benchCase: string;
  round: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
  /** Backend CPU (all its processes) per request, µs; null for nginx alone. */
  cpuUsPerReq: number | null;
  /** Backend CPU as % of one core over the window; null for nginx alone. */
  cpuPercent: number | null;
  nginxCpuUsPerReq: number;
  /** Largest RSS of the serving process(es) sampled during the window, MiB; null for nginx alone. */
  workerRssMiB: number | null;
  /** How much of that sample was file-backed (the node binary's, the libraries' pages), MiB. */
  workerRssFileMiB: number | null;
}

export interface Summary {
  backend: string;
  benchCase: string;
  rounds: number;
  reqPerSec: number;
  reqPerSecMin: number;
  reqPerSecMax: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number | null;
  cpuPercent: number | null;
  nginxCpuUsPerReq: number;
  workerRssMiB: number | null;
  workerRssFileMiB: number | null;
  errors: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : median(present);
}

export function summarize(samples: readonly Sample[]): Summary[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.benchCase}\u0000${s.backend}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  return [...groups.values()].map((list) => ({
    backend: list[0].backend,
    benchCase: list[0].benchCase,
    rounds: list.length,
    reqPerSec: median(list.map((s) => s.reqPerSec)),
    reqPerSecMin: Math.min(...list.map((s) => s.reqPerSec)),
    reqPerSecMax: Math.max(...list.map((s) => s.reqPerSec)),
    p50Ms: median(list.map((s) => s.p50Ms)),
    p99Ms: median(list.map((s) => s.p99Ms)),
    cpuUsPerReq: medianOrNull(list.map((s) => s.cpuUsPerReq)),
    cpuPercent: medianOrNull(list.map((s) => s.cpuPercent)),
    nginxCpuUsPerReq: median(list.map((s) => s.nginxCpuUsPerReq)),
    workerRssMiB: medianOrNull(list.map((s) => s.workerRssMiB)),
    workerRssFileMiB: medianOrNull(list.map((s) => s.workerRssFileMiB)),
    errors: list.reduce((sum, s) => sum + s.errors, 0),
  }));
}

const num = (v: number | null, digits: number): string => (v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));

export function caseTable(summaries: readonly Summary[], benchCase: string, order: readonly string[]): string {
  const rows = summaries
    .filter((s) => s.benchCase === benchCase)
    .sort((a, b) => order.indexOf(a.backend) - order.indexOf(b.backend));
  const lines = [
    '| backend | req/s (median) | req/s min–max | p50 ms | p99 ms | backend CPU µs/req | backend CPU % | nginx CPU µs/req | worker RSS MiB | of it file-backed | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of rows) {
    lines.push(
      `| ${s.backend} | ${Math.round(s.reqPerSec)} | ${Math.round(s.reqPerSecMin)}–${Math.round(s.reqPerSecMax)} | ` +
        `${num(s.p50Ms, 2)} | ${num(s.p99Ms, 2)} | ${num(s.cpuUsPerReq, 1)} | ${num(s.cpuPercent, 0)} | ` +
        `${num(s.nginxCpuUsPerReq, 1)} | ${num(s.workerRssMiB, 1)} | ${num(s.workerRssFileMiB, 1)} | ${s.errors} |`,
    );
  }
  return lines.join('\n');
}

export interface Target {
  what: string;
  /** The measured ratio, or null when a side is missing from the run. */
  ratio: number | null;
  limit: number;
  /** 'max': ratio must be ≤ limit; 'min': ratio must be ≥ limit. */
  kind: 'max' | 'min';
}

export function targets(summaries: readonly Summary[], fast: string): Target[] {
  const get = (backend: string, benchCase: string) => summaries.find((s) => s.backend === backend && s.benchCase === benchCase);
  const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
  const f = (c: string) => get(fast, c);
  return [
    { what: `hello: ${fast} backend CPU/req ÷ uwsgi-c`, ratio: ratio(f('hello')?.cpuUsPerReq, get('uwsgi-c', 'hello')?.cpuUsPerReq), limit: 0.85, kind: 'max' },
    { what: `hello: ${fast} req/s ÷ uwsgi-c`, ratio: ratio(f('hello')?.reqPerSec, get('uwsgi-c', 'hello')?.reqPerSec), limit: 0.95, kind: 'min' },
    { what: `hello: ${fast} req/s ÷ node-http (proxy_pass)`, ratio: ratio(f('hello')?.reqPerSec, get('node-http', 'hello')?.reqPerSec), limit: 1, kind: 'min' },
    {
      what: 'hello: uwsgi-ts-listener ((req, res) app) backend CPU/req ÷ node-http',
      ratio: ratio(get('uwsgi-ts-listener', 'hello')?.cpuUsPerReq, get('node-http', 'hello')?.cpuUsPerReq),
      limit: 1,
      kind: 'max',
    },
    {
      what: 'hello: uwsgi-ts-express backend CPU/req ÷ node-http-express',
      ratio: ratio(get('uwsgi-ts-express', 'hello')?.cpuUsPerReq, get('node-http-express', 'hello')?.cpuUsPerReq),
      limit: 1,
      kind: 'max',
    },
    { what: `64k: ${fast} req/s ÷ uwsgi-c`, ratio: ratio(f('64k')?.reqPerSec, get('uwsgi-c', '64k')?.reqPerSec), limit: 1, kind: 'min' },
    { what: `post-1m: ${fast} req/s ÷ uwsgi-c`, ratio: ratio(f('post-1m')?.reqPerSec, get('uwsgi-c', 'post-1m')?.reqPerSec), limit: 1, kind: 'min' },
    ...['hello', '64k', 'post-1m'].map(
      (c): Target => ({ what: `${c}: ${fast} worker RSS ÷ node-http`, ratio: ratio(f(c)?.workerRssMiB, get('node-http', c)?.workerRssMiB), limit: 1, kind: 'max' }),
    ),
  ];
}

export function targetTable(list: readonly Target[]): string {
  const lines = ['| target | measured | limit | met |', '|---|---:|---:|---|'];
  for (const t of list) {
    const met = t.ratio === null ? 'not measured' : (t.kind === 'max' ? t.ratio <= t.limit : t.ratio >= t.limit) ? 'yes' : 'NO';
    lines.push(`| ${t.what} | ${t.ratio === null ? '–' : `${t.ratio.toFixed(2)}×`} | ${t.kind === 'max' ? '≤' : '≥'} ${t.limit}× | ${met} |`);
  }
  return lines.join('\n');
}
