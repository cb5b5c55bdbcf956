/**
 * The watchdog thread of loop-watchdog.ts: checks the main loop's stamp, and when it has
 * not moved for the harakiri limit, pauses the main thread through the inspector, logs
 * the request and the JS stack, resumes it, and waits for the loop to move again.
 * It writes its log line with a synchronous write to fd 2: a thread's process.stderr is
 * relayed by the main thread, which is the one that is stuck.
 */
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import { workerData } from 'node:worker_threads';
import { formatLine } from '../log';
import {
  IntSlot,
  ORPHAN_BLOCKED_EXIT_MS,
  Slot,
  STACK_CAPTURE_TIMEOUT_MS,
  TEXT_OFFSET,
  WATCHDOG_CHECK_MS,
  type WatchdogData,
} from './loop-watchdog';

/** Frames kept in the log line: enough to see the culprit, short enough to read. */
export const STACK_FRAMES_MAX = 12;

const data = workerData as WatchdogData;
const floats = new Float64Array(data.shared, 0, 2);
const ints = new Int32Array(data.shared, 0, 6);
const text = new Uint8Array(data.shared, TEXT_OFFSET);
const decoder = new TextDecoder();

interface CallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

function writeLog(event: string, fields: Record<string, string | number | null>): void {
  fs.writeSync(2, formatLine('error', data.who, event, fields));
}

function describeFrame(f: CallFrame, scripts: Map<string, string>): string {
  const url = f.url || scripts.get(f.location.scriptId) || '<unknown>';
  return `${f.functionName || '<anonymous>'} (${url}:${f.location.lineNumber + 1}:${f.location.columnNumber + 1})`;
}

/** Pauses the main thread where it is, returns its frames, resumes it. */
function captureStack(): Promise<string> {
  return new Promise((resolve) => {
    const session = new inspector.Session();
    let done = false;
    const finish = (stack: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        session.post('Debugger.resume');
        session.post('Debugger.disable');
        session.disconnect();
      } catch {
        // The session is gone already: nothing to undo.
      }
      resolve(stack);
    };
    const timer = setTimeout(() => finish(`unavailable: no answer from the main thread within ${STACK_CAPTURE_TIMEOUT_MS} ms`), STACK_CAPTURE_TIMEOUT_MS);
    try {
      session.connectToMainThread();
      // Frames name their script by id; enabling the debugger reports every script's URL.
      const scripts = new Map<string, string>();
      session.on('Debugger.scriptParsed', (message) => {
        const { scriptId, url } = message.params as { scriptId: string; url: string };
        scripts.set(scriptId, url);
      });
      session.on('Debugger.paused', (message) => {
        const frames = (message.params as { callFrames: CallFrame[] }).callFrames;
        finish(frames.slice(0, STACK_FRAMES_MAX).map((f) => describeFrame(f, scripts)).join(' <- ') || 'empty');
      });
      session.post('Debugger.enable');
      session.post('Debugger.pause');
    } catch (err) {
      finish(`unavailable: ${(err as Error).message}`);
    }
  });
}

let reportedStamp = 0;
let capturing = false;

async function check(): Promise<void> {
  const stamp = floats[Slot.STAMP];
  const now = Date.now();
  if (capturing) return;
  if (process.ppid !== data.masterPid && now - stamp >= Math.min(data.limitMs, ORPHAN_BLOCKED_EXIT_MS)) {
    // The master is gone and the loop is stuck, so the worker's own orphan handling
    // (a JS 'disconnect' handler) cannot run: end the process from here.
    writeLog('orphan_blocked_exit', { blocked_ms: now - stamp, pid: process.pid });
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  if (now - stamp < data.limitMs || stamp === reportedStamp) return;
  // Reported once per stall: the stamp must move (the loop ran) before it can fire again.
  reportedStamp = stamp;
  capturing = true;
  const started = floats[Slot.REQUEST_STARTED];
  const request = started > 0 ? decoder.decode(text.slice(0, ints[IntSlot.REQUEST_LENGTH])) : null;
  const stack = await captureStack();
  capturing = false;
  writeLog('harakiri_loop_blocked', {
    blocked_ms: now - stamp,
    limit_ms: data.limitMs,
    request: request ?? 'none (blocked outside a request)',
    request_ms: started > 0 ? now - started : null,
    pid: process.pid,
    stack,
  });
}

setInterval(() => void check(), WATCHDOG_CHECK_MS);
