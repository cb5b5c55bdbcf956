/**
 * --harakiri, the loop half, inside the worker: a watchdog thread (worker_threads) that
 * notices when the main thread's event loop has been blocked past the limit and logs the
 * request that was running and the JS stack it is stuck in.
 *
 * Why a thread: a blocked loop runs no JS, so no signal handler, timer or
 * process.report trigger on the main thread can say where it is (Node 20's
 * --report-on-signal handler is itself JS and stays silent). A thread has its own loop,
 * and an inspector session it opens with connectToMainThread() reaches the main isolate
 * through V8 interrupts, which even `while (true) {}` honours: Debugger.pause stops it
 * where it is and hands back the call frames. The master kills the worker separately,
 * from the missing heartbeats (pool.ts); this thread only observes and logs.
 *
 * The two threads share one SharedArrayBuffer: the main thread stamps the time from a
 * timer and writes the current request at its start; nothing crosses per request but a
 * few stores into shared memory.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RequestTracker } from './request-deadline';

/** How often the main thread stamps the shared clock (its loop is alive if this moves). */
export const LOOP_STAMP_INTERVAL_MS = 100;
/** How often the watchdog thread looks at the stamp. */
export const WATCHDOG_CHECK_MS = 100;
/** Longest "METHOD URI" kept for the log line; longer ones are cut. */
export const REQUEST_TEXT_MAX_BYTES = 1024;
/** How long the watchdog waits for the paused main thread's stack before giving up. */
export const STACK_CAPTURE_TIMEOUT_MS = 2000;

/** A worker whose master is gone and whose loop has been blocked this long (or the
 * harakiri limit, if shorter) is ended from the watchdog thread. */
export const ORPHAN_BLOCKED_EXIT_MS = 2000;

/** Float64 slots of the shared buffer. */
export const enum Slot {
  /** Date.now() of the main loop's last stamp. */
  STAMP = 0,
  /** Start time of the current request, 0 when none. */
  REQUEST_STARTED = 1,
}
/** Int32 slots, after the float64 ones. */
export const enum IntSlot {
  REQUEST_TOKEN = 4,
  REQUEST_LENGTH = 5,
}
export const FLOAT_BYTES = 16;
export const INT_BYTES = 8;
export const TEXT_OFFSET = FLOAT_BYTES + INT_BYTES;

export interface WatchdogData {
  shared: SharedArrayBuffer;
  limitMs: number;
  who: string;
  masterPid: number;
}

const THREAD_MAIN = path.join(__dirname, 'loop-watchdog-thread.js');

export class LoopWatchdog implements RequestTracker {
  private readonly shared = new SharedArrayBuffer(TEXT_OFFSET + REQUEST_TEXT_MAX_BYTES);
  private readonly floats = new Float64Array(this.shared, 0, 2);
  private readonly ints = new Int32Array(this.shared, 0, 6);
  private readonly text = new Uint8Array(this.shared, TEXT_OFFSET);
  private readonly encoder = new TextEncoder();
  private timer: NodeJS.Timeout | null = null;
  private thread: Worker | null = null;
  private nextToken = 1;

  constructor(private readonly data: Omit<WatchdogData, 'shared'>) {}

  start(onError: (err: Error) => void): void {
    this.floats[Slot.STAMP] = Date.now();
    this.timer = setInterval(() => {
      this.floats[Slot.STAMP] = Date.now();
    }, LOOP_STAMP_INTERVAL_MS);
    this.timer.unref();
    const workerData: WatchdogData = { ...this.data, shared: this.shared };
    this.thread = new Worker(THREAD_MAIN, { workerData, stdout: false, stderr: false });
    this.thread.on('error', onError);
    // The watchdog never keeps a stopping worker alive.
    this.thread.unref();
  }

  started(method: string, uri: string, at: number): number {
    const token = this.nextToken++ & 0x7fffffff;
    const { written } = this.encoder.encodeInto(`${method} ${uri}`, this.text);
    this.ints[IntSlot.REQUEST_LENGTH] = written;
    this.floats[Slot.REQUEST_STARTED] = at;
    this.ints[IntSlot.REQUEST_TOKEN] = token;
    return token;
  }

  settled(token: number): void {
    if (this.ints[IntSlot.REQUEST_TOKEN] === token) this.floats[Slot.REQUEST_STARTED] = 0;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    void this.thread?.terminate();
    this.thread = null;
  }
}
