/**
 * Runs a command in a pseudo-terminal (python3's pty module drives it): what a person at
 * a terminal would see, with a real tty on stdin and stdout. Keys can be typed after a
 * delay; the output is everything the program wrote to the terminal.
 */
import { spawn } from 'node:child_process';

export interface PtyRun {
  output: string;
  exitCode: number | null;
}

const DRIVER = String.raw`
import json, os, pty, select, struct, sys, time, fcntl, termios, base64
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(spec["argv"][0], spec["argv"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", spec["rows"], spec["columns"], 0, 0))
os.kill(pid, 28)  # SIGWINCH: the size is set after the fork
out = b""
start = time.time()
keys = list(spec["keys"])
status = None
deadline = start + spec["timeout"]
while time.time() < deadline:
    if keys and time.time() - start >= keys[0][0]:
        os.write(fd, keys.pop(0)[1].encode())
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        out += data
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
if status is None:
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                break
            data = os.read(fd, 65536)
            if not data:
                break
            out += data
    except OSError:
        pass
    # The terminal closes as the program exits: give the exit a moment to complete.
    until = time.time() + 5
    while status is None and time.time() < until:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
        else:
            time.sleep(0.02)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status) if status is not None else None
print(json.dumps({"output": base64.b64encode(out).decode(), "exitCode": code}))
`;

/** @param keys [seconds after start, text to type] in time order. */
export function runInPty(
  argv: string[],
  o: { columns?: number; rows?: number; keys?: [number, string][]; timeoutS?: number },
): Promise<PtyRun> {
  const spec = { argv, columns: o.columns ?? 120, rows: o.rows ?? 30, keys: o.keys ?? [], timeout: o.timeoutS ?? 20 };
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', DRIVER, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new Error(`python3 is needed to drive a pseudo-terminal: ${err.message}`)));
    child.on('close', () => {
      try {
        const r = JSON.parse(stdout) as { output: string; exitCode: number | null };
        resolve({ output: Buffer.from(r.output, 'base64').toString('utf8'), exitCode: r.exitCode });
      } catch {
        reject(new Error(`the pty driver failed: ${stderr || stdout}`));
      }
    });
  });
}

/** The last full screen a program drew (after its last clear-screen), without escape codes. */
export function lastScreen(output: string): string[] {
  const frames = output.split('\x1b[H\x1b[2J');
  // eslint-disable-next-line no-control-regex
  return frames[frames.length - 1]!.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').split('\n');
}
