/**
 * `uwsgi-ts top ADDRESS [--interval SECONDS] [--once]`: a live terminal view of a running
 * server, read from its master's /stats (the --metrics listener). Redraws every interval;
 * q or Ctrl-C quits. --once prints one frame (two polls, for the rates) and exits, for
 * scripts and terminals without cursor control.
 */
import * as http from 'node:http';
import { ExitCode } from '../exit-codes';
import type { Stats } from '../metrics/metrics-server';
import { formatMetricsAddress, METRICS_ADDRESS_FORMS, parseMetricsAddress, type MetricsAddress } from '../metrics/metrics-address';
import { renderFrame, renderUnreachable, type Frame } from './top-screen';

/** Default redraw period: uwsgitop's and top's one second. */
export const TOP_DEFAULT_INTERVAL_S = 1;
/** Fastest redraw allowed: each poll asks every worker, so keep it cheap. */
export const TOP_MIN_INTERVAL_S = 0.1;
/** A /stats request that takes longer is abandoned (the master answers within ~100 ms). */
export const TOP_FETCH_TIMEOUT_MS = 2_000;

const USAGE = `usage: uwsgi-ts top ADDRESS [--interval SECONDS] [--once]
  ADDRESS   the server's --metrics listener: ${METRICS_ADDRESS_FORMS}
  --interval  seconds between redraws (default ${TOP_DEFAULT_INTERVAL_S}, at least ${TOP_MIN_INTERVAL_S})
  --once      print one frame and exit
Keys: q or Ctrl-C quits.
`;

interface TopArgs {
  address: MetricsAddress;
  intervalS: number;
  once: boolean;
}

export function parseTopArgs(argv: readonly string[]): { ok: true; args: TopArgs } | { ok: false; error: string | null } {
  let address: MetricsAddress | null = null;
  let intervalS = TOP_DEFAULT_INTERVAL_S;
  let once = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { ok: false, error: null };
    if (a === '--once') once = true;
    else if (a === '--interval' || a.startsWith('--interval=')) {
      const raw = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
      if (!(n >= TOP_MIN_INTERVAL_S && n <= 3600)) return { ok: false, error: `invalid value for --interval: expected seconds from ${TOP_MIN_INTERVAL_S} to 3600, got ${JSON.stringify(raw ?? '')}` };
      intervalS = n;
    } else if (a.startsWith('-')) return { ok: false, error: `unknown option ${a}` };
    else if (address !== null) return { ok: false, error: `unexpected argument ${JSON.stringify(a)}: give one ADDRESS` };
    else {
      const parsed = parseMetricsAddress(a);
      if (!parsed.ok) return { ok: false, error: `invalid ADDRESS ${JSON.stringify(a)}: ${parsed.reason}` };
      address = parsed.address;
    }
  }
  if (address === null) return { ok: false, error: 'missing ADDRESS (the --metrics address of the running server)' };
  return { ok: true, args: { address, intervalS, once } };
}

export function fetchStats(address: MetricsAddress): Promise<Stats> {
  return new Promise((resolve, reject) => {
    const target = address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
    const req = http.get({ ...target, path: '/stats', agent: false, timeout: TOP_FETCH_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as Stats);
        } catch {
          reject(new Error('the answer is not a /stats document (is this a uwsgi-ts --metrics listener?)'));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TOP_FETCH_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

/** Clear the screen and draw from the top-left corner (ANSI). */
const CLEAR = '\x1b[H\x1b[2J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

function frameText(frame: Frame): string {
  return frame.lines.join('\n') + '\n';
}

export async function runTop(argv: readonly string[]): Promise<number> {
  const parsed = parseTopArgs(argv);
  if (!parsed.ok) {
    if (parsed.error === null) {
      process.stdout.write(USAGE);
      return ExitCode.OK;
    }
    process.stderr.write(`uwsgi-ts top: ${parsed.error}\n${USAGE}`);
    return ExitCode.USAGE;
  }
  const { address, intervalS, once } = parsed.args;
  const name = formatMetricsAddress(address);
  const size = () => ({ columns: process.stdout.columns || 120, rows: process.stdout.rows || 40 });

  if (once) {
    try {
      const first = await fetchStats(address);
      await new Promise((r) => setTimeout(r, intervalS * 1000));
      const second = await fetchStats(address);
      process.stdout.write(frameText(renderFrame(first, second, name, size().columns, Number.MAX_SAFE_INTEGER)));
      return ExitCode.OK;
    } catch (err) {
      process.stderr.write(`uwsgi-ts top: cannot reach ${name}: ${(err as Error).message}\n`);
      return ExitCode.SOCKET_FAILED;
    }
  }

  return new Promise<number>((resolve) => {
    let prev: Stats | null = null;
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const stdin = process.stdin;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write(SHOW_CURSOR);
      resolve(ExitCode.OK);
    };
    const draw = (frame: Frame) => process.stdout.write(CLEAR + frameText(frame));
    const tick = async () => {
      const { columns, rows } = size();
      try {
        const cur = await fetchStats(address);
        if (done) return;
        draw(renderFrame(prev, cur, name, columns, rows));
        prev = cur;
      } catch (err) {
        if (done) return;
        draw(renderUnreachable(name, (err as Error).message, columns));
        prev = null;
      }
      timer = setTimeout(() => void tick(), intervalS * 1000);
    };
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', (key: Buffer) => {
      // q, Q, Ctrl-C (raw mode delivers it as a byte instead of SIGINT).
      if (key.includes(0x71) || key.includes(0x51) || key.includes(0x03)) finish();
    });
    stdin.resume();
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    process.stdout.write(HIDE_CURSOR);
    void tick();
  });
}
