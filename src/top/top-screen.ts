/**
 * One frame of `uwsgi-ts top`: a pure function of two consecutive /stats documents (rates
 * come from their difference) and the terminal size, so it is tested without a terminal.
 */
import type { Stats, StatsWorker } from '../metrics/metrics-server';

export interface Frame {
  /** Lines, each at most `columns` characters. */
  lines: string[];
}

const COLUMNS = [
  ['SLOT', 4],
  ['PID', 8],
  ['STATE', 9],
  ['UP', 3],
  ['REQUESTS', 10],
  ['REQ/S', 8],
  ['AVG MS', 8],
  ['INFLT', 5],
  ['RSS MB', 8],
  ['LAG MS', 7],
] as const;

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : ' '.repeat(width - text.length) + text;
}

function fixed(n: number | null, digits: number): string {
  return n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

function duration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** Per-worker rates over the interval; a worker whose pid changed (respawned) starts over. */
function rates(prev: StatsWorker | undefined, cur: StatsWorker, seconds: number): { rps: number | null; avgMs: number | null } {
  const a = prev?.status;
  const b = cur.status;
  if (!a || !b || prev!.pid !== cur.pid || seconds <= 0 || b.requests < a.requests) return { rps: null, avgMs: null };
  const n = b.requests - a.requests;
  return { rps: n / seconds, avgMs: n > 0 ? ((b.durationSum - a.durationSum) / n) * 1000 : null };
}

export function renderFrame(prev: Stats | null, cur: Stats, address: string, columns: number, rows: number): Frame {
  const seconds = prev === null ? 0 : (cur.time - prev.time) / 1000;
  const prevBySlot = new Map((prev?.workers ?? []).map((w) => [`${w.slot}:${w.pid}`, w]));
  const ready = cur.workers.filter((w) => w.state === 'ready').length;
  let totalRps: number | null = prev === null ? null : 0;
  let totalN = 0;
  let totalDuration = 0;
  let inFlight = 0;
  const rowsOut: string[] = [];
  for (const w of cur.workers) {
    const p = prevBySlot.get(`${w.slot}:${w.pid}`);
    const r = rates(p, w, seconds);
    if (totalRps !== null && r.rps !== null) totalRps += r.rps;
    if (p?.status && w.status && w.status.requests >= p.status.requests) {
      totalN += w.status.requests - p.status.requests;
      totalDuration += w.status.durationSum - p.status.durationSum;
    }
    const s = w.status;
    inFlight += s?.inFlight ?? 0;
    const cells = [
      String(w.slot),
      String(w.pid),
      w.state,
      w.up ? 'yes' : 'NO',
      s ? String(s.requests) : '-',
      fixed(r.rps, 1),
      fixed(r.avgMs, 2),
      s ? String(s.inFlight) : '-',
      s ? fixed(s.rssBytes / (1024 * 1024), 1) : '-',
      s ? fixed(s.loopLagSeconds * 1000, 1) : '-',
    ];
    let line = cells.map((c, i) => pad(c, COLUMNS[i]![1])).join(' ');
    if (s?.current) line += `  ${s.current.method} ${s.current.uri} (${(s.current.ageMs / 1000).toFixed(1)}s)`;
    rowsOut.push(line);
  }
  const avgMs = totalN > 0 ? (totalDuration / totalN) * 1000 : null;
  const queues = cur.sockets
    .map((q) => `${q.name} ${q.depth === null ? q.status : `${q.depth}/${q.max ?? '?'}`}`)
    .join('  ');
  const lines = [
    `uwsgi-ts top  ${address}  master ${cur.master.pid}  up ${duration(cur.master.uptimeSeconds)}` +
      `  workers ${ready}/${cur.master.target} ready${cur.master.stopping ? '  STOPPING' : ''}`,
    `req/s ${fixed(totalRps, 1)}  avg latency ${fixed(avgMs, 2)} ms  in flight ${inFlight}`,
    `listen queue ${queues || '-'}`,
    '',
    COLUMNS.map(([name, width]) => pad(name, width)).join(' ') + '  CURRENT REQUEST',
    ...rowsOut,
  ];
  const fitted = lines.slice(0, Math.max(1, rows - 1)).map((l) => (l.length > columns ? l.slice(0, columns) : l));
  return { lines: fitted };
}

/** A frame that says the master cannot be reached (it keeps trying). */
export function renderUnreachable(address: string, error: string, columns: number): Frame {
  return { lines: [`uwsgi-ts top  ${address}`, '', `cannot reach the stats listener: ${error} (retrying)`].map((l) => l.slice(0, columns)) };
}
