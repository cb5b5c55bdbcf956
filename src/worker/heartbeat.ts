/**
 * The worker's heartbeat to the master over the IPC channel (no temp files): proof that
 * its event loop runs (the --harakiri liveness check), plus what the master decides on:
 * resident memory (--reload-on-rss), open connections (--idle scaling), requests served
 * (--max-requests). A timer sends it, so a blocked loop sends nothing: that silence is
 * the signal.
 */

/** Heartbeat period without --harakiri: RSS, load and liveness are seen within a second. */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** With --harakiri, at least this many beats fit in the limit, so a live worker is never
 * mistaken for a blocked one because a beat was a little late. */
export const HEARTBEATS_PER_HARAKIRI = 4;

/** The period workers beat at; the master allows one period of slack on top of harakiri. */
export function heartbeatIntervalMs(harakiriMs: number | null): number {
  if (harakiriMs === null) return HEARTBEAT_INTERVAL_MS;
  return Math.max(1, Math.min(HEARTBEAT_INTERVAL_MS, Math.floor(harakiriMs / HEARTBEATS_PER_HARAKIRI)));
}

export interface BeatSample {
  rssBytes: number;
  inFlight: number;
  requests: number;
  maxRequestsReached: boolean;
  /** Share of the time since the previous beat the event loop was busy (0..1). */
  loopUtilization: number;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly sample: () => BeatSample,
    private readonly send: (beat: BeatSample) => void,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.beatNow(), this.intervalMs);
    // The heartbeat never keeps a stopping worker alive.
    this.timer.unref();
  }

  /** Beats at once (e.g. --max-requests was just reached), besides the timer. */
  beatNow(): void {
    this.send(this.sample());
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
