/**
 * What every benchmark report says about where it ran: the date, the machine and how
 * busy it was when the run started (the machine may be shared), and the Node version
 * with those of the other programs the benchmark ran.
 */
import * as os from 'node:os';

export function hostLines(otherVersions: readonly string[] = []): string[] {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.cpus().length} CPUs (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${os.release()}`,
    `- load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared)`,
    [`- node ${process.version}`, ...otherVersions].join('; '),
  ];
}
