/**
 * Everything the master needs for --metrics, behind the few calls master.ts makes: start
 * the listener, route workers' collect answers, record supervisor events (restart,
 * reload, harakiri), close. The supervisor stays ignorant of prom-client.
 */
import type { ChildProcess } from 'node:child_process';
import { loadAddon } from '../addon';
import { isCollectReply } from './collect-messages';
import { nativeListenQueueReader, tsListenQueueReader } from './listen-queue';
import { MasterMetrics, type HarakiriKind, type RestartReason, type SupervisorView } from './master-metrics';
import type { MetricsAddress } from './metrics-address';
import { MetricsServer } from './metrics-server';
import { WorkerCollector } from './worker-collector';

export class MasterTelemetry {
  readonly metrics: MasterMetrics;
  private readonly collector = new WorkerCollector();
  private readonly server: MetricsServer;

  constructor(address: MetricsAddress, view: SupervisorView, child: (pid: number) => ChildProcess | undefined) {
    const addon = loadAddon();
    this.metrics = new MasterMetrics(view, addon.ok ? nativeListenQueueReader(addon.addon) : tsListenQueueReader);
    this.server = new MetricsServer(address, view, this.metrics, this.collector, (pid, message) => {
      const c = child(pid);
      if (c === undefined || !c.connected) return false;
      c.send(message, undefined, undefined, () => {
        // A send that fails (the worker just died) shows up as a missing answer.
      });
      return true;
    });
  }

  get name(): string {
    return this.server.name;
  }

  listen(): Promise<void> {
    return this.server.listen();
  }

  /** Returns true when the message was a collect answer (handled here). */
  onWorkerMessage(pid: number, message: unknown): boolean {
    if (!isCollectReply(message)) return false;
    this.collector.received(pid, message);
    return true;
  }

  recordRestart(slot: number, reason: RestartReason): void {
    this.metrics.recordRestart(slot, reason);
  }

  recordReload(): void {
    this.metrics.recordReload();
  }

  recordHarakiri(slot: number, kind: HarakiriKind): void {
    this.metrics.recordHarakiri(slot, kind);
  }

  close(): void {
    this.server.close();
  }
}
