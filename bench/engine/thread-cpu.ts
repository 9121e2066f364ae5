/**
 * CPU time of this process's threads, one by one, from Linux's `/proc/self/task/TID/schedstat`
 * (nanoseconds on a CPU, nanoseconds runnable but waiting for one): which thread spent the CPU of
 * a data-parallel step (the main thread, the workers, the rest: garbage collection, libuv), and
 * how long the threads waited for a CPU that other processes held (a measure of the load).
 * Elsewhere than Linux every reading is empty.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Per thread id: [ns on a CPU, ns waiting for one]. */
export type ThreadTimes = Map<number, [number, number]>;

const TASKS = '/proc/self/task';

/** The times of every thread of this process now (empty where /proc is missing). */
export function threadTimes(): ThreadTimes {
  const out: ThreadTimes = new Map();
  if (!existsSync(TASKS)) return out;
  for (const tid of readdirSync(TASKS)) {
    try {
      const [run, wait] = readFileSync(`${TASKS}/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      out.set(Number(tid), [run, wait]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** CPU ms split by thread group between two readings, and ms waited for a CPU (all threads). */
export interface CpuSplit {
  readonly main: number;
  readonly workers: number;
  readonly other: number;
  readonly waited: number;
}

/** The split of the time between `before` and `after`; `workers` are the thread ids of the rig's workers. */
export function cpuSplit(before: ThreadTimes, after: ThreadTimes, workers: ReadonlySet<number>): CpuSplit {
  let main = 0, work = 0, other = 0, waited = 0;
  for (const [tid, [run, wait]] of after) {
    const [run0, wait0] = before.get(tid) ?? [0, 0];
    const ms = (run - run0) / 1e6;
    waited += (wait - wait0) / 1e6;
    if (tid === process.pid) main += ms;
    else if (workers.has(tid)) work += ms;
    else other += ms;
  }
  return { main, workers: work, other, waited };
}

/** The thread ids in `after` that `before` lacks (the threads a call started). */
export function newThreads(before: ThreadTimes, after: ThreadTimes): Set<number> {
  return new Set([...after.keys()].filter((t) => !before.has(t)));
}
