/**
 * The master's own series: worker restarts by reason, reloads, harakiri events, workers
 * by state, scrape health per worker slot, listen queue per socket, and prom-client's
 * default metrics of the master process (prefixed uwsgi_ts_master_ so they never collide
 * with the workers' unprefixed ones). The supervisor calls the record*() hooks; the rest
 * is read at scrape time from the views it provides.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { readListenQueue, type ListenQueueReader, type ListenQueueReading } from './listen-queue';

/** Why a worker was replaced. Every reason is a series from the start (value 0), so a
 * rate() works before the first event. */
export const RESTART_REASONS = ['crash', 'max-requests', 'rss', 'harakiri', 'reload', 'scale'] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

/** Worker states as the metrics and the status view name them. */
export const WORKER_STATES = ['starting', 'ready', 'draining'] as const;
export type ReportedWorkerState = (typeof WORKER_STATES)[number];

/** Harakiri kinds: a request past its deadline (answered 504) or a blocked event loop
 * (worker killed). */
export const HARAKIRI_KINDS = ['request', 'loop'] as const;
export type HarakiriKind = (typeof HARAKIRI_KINDS)[number];

export interface WorkerView {
  slot: number;
  pid: number;
  state: ReportedWorkerState;
}

export interface SocketView {
  name: string;
  fd: number;
}

export interface SupervisorView {
  workers(): WorkerView[];
  sockets(): SocketView[];
  /** Target number of workers. */
  target(): number;
  /** The master is stopping (graceful or fast): not ready. */
  stopping(): boolean;
}

export class MasterMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter<'reason'>;
  private readonly reloads: Counter;
  private readonly harakiri: Counter<'worker' | 'kind'>;
  private readonly scrapeTimeouts: Counter<'worker'>;
  private readonly workerUp: Gauge<'worker'>;
  /** The last listen queue reading per socket name (also for /stats). */
  lastQueues: { name: string; reading: ListenQueueReading }[] = [];

  constructor(
    private readonly view: SupervisorView,
    private readonly queueReader: ListenQueueReader,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'uwsgi_ts_master_' });
    this.restarts = new Counter({ name: 'uwsgi_ts_worker_restarts_total', help: 'Workers replaced, by reason.', labelNames: ['reason'], registers });
    for (const reason of RESTART_REASONS) this.restarts.inc({ reason }, 0);
    this.reloads = new Counter({ name: 'uwsgi_ts_reloads_total', help: 'Rolling reloads started (SIGHUP, --touch-reload).', registers });
    this.harakiri = new Counter({
      name: 'uwsgi_ts_harakiri_total',
      help: 'Harakiri events by worker slot and kind: request (a request past its deadline) or loop (a blocked worker killed).',
      labelNames: ['worker', 'kind'],
      registers,
    });
    this.scrapeTimeouts = new Counter({
      name: 'uwsgi_ts_worker_scrape_timeouts_total',
      help: 'Scrapes a worker did not answer in time (its series are missing from that scrape).',
      labelNames: ['worker'],
      registers,
    });
    this.workerUp = new Gauge({
      name: 'uwsgi_ts_worker_up',
      help: 'Whether the worker in this slot answered the last scrape in time (1) or not (0).',
      labelNames: ['worker'],
      registers,
    });
    const view_ = view;
    new Gauge({
      name: 'uwsgi_ts_workers',
      help: 'Worker processes by state: starting (loading the app), ready (serving), draining (finishing in-flight requests before exiting).',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(WORKER_STATES.map((s) => [s, 0]));
        for (const w of view_.workers()) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'uwsgi_ts_workers_target',
      help: 'Number of workers the master keeps running.',
      registers,
      collect() {
        this.set(view_.target());
      },
    });
    const self = this;
    new Gauge({
      name: 'uwsgi_ts_listen_queue_depth',
      help: 'Connections waiting in the listen queue of each socket (Recv-Q of `ss -l`), read from sock_diag.',
      labelNames: ['socket'],
      registers,
      collect() {
        self.readQueues();
        this.reset();
        for (const q of self.lastQueues) if (q.reading.code === 'ok') this.set({ socket: q.name }, q.reading.depth);
      },
    });
    new Gauge({
      name: 'uwsgi_ts_listen_queue_max',
      help: 'Size of the listen queue of each socket (Send-Q of `ss -l`: the backlog capped by net.core.somaxconn).',
      labelNames: ['socket'],
      registers,
      collect() {
        this.reset();
        for (const q of self.lastQueues) {
          if (q.reading.code === 'ok' && q.reading.max >= 0) this.set({ socket: q.name }, q.reading.max);
        }
      },
    });
  }

  recordRestart(_slot: number, reason: RestartReason): void {
    this.restarts.inc({ reason });
  }

  recordReload(): void {
    this.reloads.inc();
  }

  recordHarakiri(slot: number, kind: HarakiriKind): void {
    this.harakiri.inc({ worker: String(slot), kind });
  }

  /** The outcome of one collection round: which slots answered in time. Slots that no
   * longer exist (scaled down) drop out of the up gauge. */
  recordScrape(outcomes: readonly { slot: number; answered: boolean }[]): void {
    this.workerUp.reset();
    for (const { slot, answered } of outcomes) {
      const worker = String(slot);
      this.workerUp.set({ worker }, answered ? 1 : 0);
      this.scrapeTimeouts.inc({ worker }, answered ? 0 : 1);
    }
  }

  readQueues(): void {
    this.lastQueues = this.view.sockets().map((s) => ({ name: s.name, reading: readListenQueue(this.queueReader, s.fd) }));
  }
}
