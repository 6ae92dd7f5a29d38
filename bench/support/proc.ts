/**
 * CPU time and memory of processes, read from /proc (Linux only), for the benches that measure
 * the portal or the engine as processes of their own.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system ticks of a /proc/<pid>/stat line, in ms. */
function statCpuMs(fields: string[]): number {
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU time (ms, user + system) of one process, from /proc/<pid>/stat; 0 when there is none or it is gone. */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return statCpuMs(stat.slice(stat.lastIndexOf(')') + 2).split(' '));
  } catch {
    return 0;
  }
}

/** Resident memory (bytes) of one process, from VmRSS in /proc/<pid>/status; `gone` when there is none. */
export function processRss(pid: number | undefined, gone = 0): number {
  if (!pid) return gone;
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : gone;
  } catch {
    return gone;
  }
}

/** CPU time (ms) of this process's child processes named java: the engine. */
export function engineCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'java' && Number(fields[1]) === process.pid) total += statCpuMs(fields);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU time (ms, user + system) of this process. */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
