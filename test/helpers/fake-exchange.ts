/**
 * A fake Exchange for adapter and wrapper unit tests: records what reaches the
 * transport (writes, cork, end, destroy) without processes or sockets.
 */
import * as assert from 'node:assert/strict';
import { Environ } from '../../src/protocol/environ';
import { createJsVarsParser } from '../../src/protocol/vars-parser';
import { readRequestHead, isBadRequest, type RequestHead } from '../../src/protocol/request-head';
import type { BodySink, Exchange, ExchangeEvents, WriteCallback } from '../../src/worker/exchange';
import { encodeVars, nginxVars } from './uwsgi-client';

const parser = createJsVarsParser(1024);

export type Call = { op: 'cork' | 'uncork' | 'end' | 'destroy' } | { op: 'write'; data: string };

export class FakeExchange implements Exchange {
  environ: Environ;
  head: RequestHead;
  modifier2 = 0;
  aborted = false;
  writableLength = 0;
  calls: Call[] = [];
  events: ExchangeEvents | null = null;
  sink: BodySink | null = null;
  paused = 0;
  resumed = 0;

  constructor(method: string, uri: string, contentLength = '', headers: Record<string, string> = {}) {
    const block = encodeVars(nginxVars(method, uri, headers, contentLength));
    assert.ok(parser.parse(block, 0, block.length) >= 0);
    this.environ = Environ.fromParser(parser, block, 0, block.length);
    const head = readRequestHead(this.environ, 0);
    assert.ok(!isBadRequest(head));
    this.head = head;
  }
  setEvents(e: ExchangeEvents) {
    this.events = e;
  }
  startBody(sink: BodySink) {
    this.sink = sink;
    if (this.head.contentLength === 0) sink.onBodyEnd();
  }
  resumeBody() {
    this.resumed++;
  }
  pauseBody() {
    this.paused++;
  }
  cork() {
    this.calls.push({ op: 'cork' });
  }
  uncork() {
    this.calls.push({ op: 'uncork' });
  }
  write(chunk: Buffer | string, encoding: BufferEncoding | undefined, cb?: WriteCallback) {
    if (!this.aborted) {
      this.calls.push({ op: 'write', data: typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8').toString('latin1') : chunk.toString('latin1') });
    }
    if (cb) process.nextTick(cb);
    return true;
  }
  end() {
    this.calls.push({ op: 'end' });
  }
  finish(chunk: Buffer | string, encoding: BufferEncoding | undefined) {
    this.write(chunk, encoding);
    this.end();
  }
  destroy() {
    this.calls.push({ op: 'destroy' });
  }
  output(): string {
    return this.calls.map((c) => (c.op === 'write' ? c.data : '')).join('');
  }
}

