import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (ms) spent so far by each named group of processes, from /proc (Linux only; empty elsewhere). */
export type CpuSample = Record<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux Node supports

function cpuOf(pid: string): { comm: string; ms: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime and cstime: the 14th to 17th fields of the line, the 12th to 15th after the
    // name. A process's children that ended count in its cutime and cstime: PostgreSQL's backends
    // that close between two samples are counted in the postmaster's.
    const ticks = fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
    return { comm, ms: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Where the CPU goes under load: the processes given by pid under their names, and every PostgreSQL
 * process as `postgres`, so that a benchmark can say how much of a request each part costs.
 */
export function sampleCpu(named: Record<string, number | undefined>): CpuSample {
  const sample: CpuSample = {};
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return sample;
  }
  const byPid = new Map(Object.entries(named).flatMap(([name, pid]) => (pid === undefined ? [] : [[String(pid), name]])));
  for (const pid of pids) {
    const cpu = cpuOf(pid);
    if (!cpu) continue;
    const name = byPid.get(pid) ?? (cpu.comm === 'postgres' ? 'postgres' : undefined);
    if (name) sample[name] = (sample[name] ?? 0) + cpu.ms;
  }
  return sample;
}

/** CPU ms per request of each group between two samples. */
export function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name] - (before[name] ?? 0)) / Math.max(1, requests)]));
}
