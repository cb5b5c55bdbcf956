/**
 * The master's observability listener: /metrics (Prometheus text), /healthz (the master
 * is up), /readyz (at least one worker ready and not shutting down), /stats (JSON for
 * `uwsgi-ts top`). Worker series are collected over IPC at request time and merged with
 * prom-client's static AggregatorRegistry.aggregate() (never an AggregatorRegistry
 * instance: its constructor wires itself to node:cluster), labelled by worker slot.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { CollectRequest, WorkerStatus } from './collect-messages';
import type { MasterMetrics, SupervisorView, WorkerView } from './master-metrics';
import { formatMetricsAddress, type MetricsAddress } from './metrics-address';
import { withLabels, type MetricFamily } from './metric-family';
import type { CollectResult, WorkerCollector } from './worker-collector';

export interface StatsWorker extends WorkerView {
  /** Answered the collection in time. */
  up: boolean;
  status: WorkerStatus | null;
}

export interface StatsSocket {
  name: string;
  /** 'ok' or why the queue could not be read (listen-queue.ts codes). */
  status: string;
  depth: number | null;
  max: number | null;
}

/** The /stats document. */
export interface Stats {
  version: 1;
  /** Milliseconds since the epoch, when the master answered. */
  time: number;
  master: { pid: number; uptimeSeconds: number; stopping: boolean; target: number };
  workers: StatsWorker[];
  sockets: StatsSocket[];
}

export type SendToWorker = (pid: number, message: CollectRequest) => boolean;

export class MetricsServer {
  private server: http.Server | null = null;

  constructor(
    readonly address: MetricsAddress,
    private readonly view: SupervisorView,
    private readonly metrics: MasterMetrics,
    private readonly collector: WorkerCollector,
    private readonly sendTo: SendToWorker,
  ) {}

  get name(): string {
    return formatMetricsAddress(this.address);
  }

  async listen(): Promise<void> {
    const server = http.createServer((req, res) => this.route(req, res));
    // A scraper that keeps connections open must not hold up the master's exit.
    server.keepAliveTimeout = 5_000;
    if (this.address.kind === 'unix') removeStaleSocket(this.address.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (this.address.kind === 'unix') server.listen(this.address.path, done);
      else server.listen(this.address.port, this.address.host, done);
    });
    server.on('error', () => {
      // Errors after listening are per connection; the listener stays up.
    });
    this.server = server;
  }

  close(): void {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.close();
    server.closeAllConnections();
    if (this.address.kind === 'unix') {
      try {
        fs.unlinkSync(this.address.path);
      } catch {
        // Already gone.
      }
    }
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/metrics':
        this.scrape().then(
          (text) => send(res, 200, Registry.PROMETHEUS_CONTENT_TYPE, text),
          (err: Error) => send(res, 500, 'text/plain; charset=utf-8', `scrape failed: ${err.message}\n`),
        );
        return;
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const why = this.notReadyReason();
        if (why === null) send(res, 200, 'text/plain; charset=utf-8', 'ready\n');
        else send(res, 503, 'text/plain; charset=utf-8', `not ready: ${why}\n`);
        return;
      }
      case '/stats':
        this.stats().then(
          (stats) => send(res, 200, 'application/json', JSON.stringify(stats) + '\n'),
          (err: Error) => send(res, 500, 'text/plain; charset=utf-8', `stats failed: ${err.message}\n`),
        );
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz, /readyz or /stats\n');
    }
  }

  private notReadyReason(): string | null {
    if (this.view.stopping()) return 'shutting down';
    if (!this.view.workers().some((w) => w.state === 'ready')) return 'no worker is ready';
    return null;
  }

  /** Workers that have an IPC endpoint to ask (a starting worker is loading its app). */
  private async collect(what: 'metrics' | 'status'): Promise<{ workers: WorkerView[]; results: CollectResult[] }> {
    const workers = this.view.workers();
    const targets = workers
      .filter((w) => w.state !== 'starting')
      .map((w) => ({ slot: w.slot, pid: w.pid, send: (m: CollectRequest) => this.sendTo(w.pid, m) }));
    const results = await this.collector.collect(targets, what);
    this.metrics.recordScrape(results.map((r) => ({ slot: r.slot, answered: r.reply !== null })));
    return { workers, results };
  }

  async scrape(): Promise<string> {
    const { results } = await this.collect('metrics');
    const families: MetricFamily[][] = [];
    for (const r of results) {
      if (r.reply?.metrics) families.push(withLabels(r.reply.metrics, { worker: String(r.slot) }));
    }
    const workers = AggregatorRegistry.aggregate(families as unknown as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    return Registry.merge([workers as Registry, this.metrics.registry]).metrics();
  }

  async stats(): Promise<Stats> {
    const { workers, results } = await this.collect('status');
    const byPid = new Map(results.map((r) => [r.pid, r]));
    this.metrics.readQueues();
    return {
      version: 1,
      time: Date.now(),
      master: { pid: process.pid, uptimeSeconds: process.uptime(), stopping: this.view.stopping(), target: this.view.target() },
      workers: workers
        .map((w) => {
          const r = byPid.get(w.pid);
          return { ...w, up: r?.reply != null, status: r?.reply?.status ?? null };
        })
        .sort((a, b) => a.slot - b.slot || a.pid - b.pid),
      sockets: this.metrics.lastQueues.map((q) => ({
        name: q.name,
        status: q.reading.code,
        depth: q.reading.code === 'ok' ? q.reading.depth : null,
        max: q.reading.code === 'ok' && q.reading.max >= 0 ? q.reading.max : null,
      })),
    };
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function removeStaleSocket(path: string): void {
  try {
    if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // Nothing there.
  }
}
