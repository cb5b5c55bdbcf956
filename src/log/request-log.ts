/**
 * The request log: one line per finished request, in the --log-format chosen, batched to
 * the process's log output. It is a RequestObserver, so every transport feeds it the same
 * way it feeds the metrics.
 */
import type { ObservedRequest, RequestObserver } from '../metrics/request-observer';
import type { LogOutput } from './log-output';
import { compileRequestLine, type RequestLogContext, type RequestLogFormat } from './request-log-format';

export class RequestLog implements RequestObserver {
  private readonly line: (r: ObservedRequest, time: string) => string;
  /** The ISO time string of the last millisecond a line was written in (formatting a
   * Date costs more than the rest of a text line). */
  private lastMs = 0;
  private lastTime = '';

  constructor(
    format: RequestLogFormat,
    context: RequestLogContext,
    private readonly output: LogOutput,
  ) {
    this.line = compileRequestLine(format, context);
  }

  begin(): void {}

  end(request: ObservedRequest): void {
    const now = Date.now();
    if (now !== this.lastMs) {
      this.lastMs = now;
      this.lastTime = new Date(now).toISOString();
    }
    this.output.writeBatched(this.line(request, this.lastTime));
  }
}
