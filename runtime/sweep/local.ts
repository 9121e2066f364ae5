/**
 * The local executor: a pool of `parallel` trials at a time, each one `bnas search` (and
 * `bnas evaluate`) child process. The default pool size is the smaller of the cores and what
 * memory holds by the validator's estimate of one supernet. A trial that fails (its process
 * killed, out of memory, …) runs again up to `retries` times, resuming from its checkpoint, as
 * the Slurm executor resubmits a task.
 */
import { availableParallelism, freemem } from 'node:os';
import { estimateSupernetMemory, type SearchSpace } from '../dsl/index.js';
import { cancelRequests, type SweepState } from './state.js';
import { runTrial } from './trial.js';

/** What a Node process with TensorFlow.js holds before the supernet (runtime, data, kernels), MB. */
const PROCESS_BASE_MB = 300;
/** The estimate counts tensors kept alive; backends add workspace on top: leave room. */
const ESTIMATE_MARGIN = 2;
/** How often a running pool looks for `bnas sweep --cancel` requests. */
const CANCEL_POLL_MS = 500;

/** Trials that fit at once: at most one per core, and as many as the free memory holds. */
export function defaultParallelism(spaces: readonly SearchSpace[], freeMb = freemem() / 2 ** 20, cores = availableParallelism()): number {
  const perTrial = PROCESS_BASE_MB + ESTIMATE_MARGIN * Math.max(0, ...spaces.map((s) => estimateSupernetMemory(s).totalMb));
  return Math.max(1, Math.min(cores, Math.floor((0.8 * freeMb) / perTrial)));
}

/** Runs the given trials `parallel` at a time until all end or `signal` aborts. */
export async function runLocal(state: SweepState, ids: readonly string[], parallel: number, cli: string, signal: AbortSignal): Promise<void> {
  const queue = [...ids];
  const running = new Map<string, AbortController>();
  const poll = setInterval(() => {
    const requested = cancelRequests(state.dir);
    for (const [id, c] of running) if (requested.has(id)) c.abort();
  }, CANCEL_POLL_MS);
  const attempt = (id: string, stop: AbortSignal) => {
    const t = state.update(id, { state: 'running', attempts: state.trial(id).attempts + 1, started: new Date().toISOString(), error: undefined, exit_code: undefined });
    return runTrial({ cli, sweepDir: state.dir, trial: t, options: state.sweep.options, signal: stop, emit: (e) => state.emit(e), attempt: t.attempts });
  };
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined && !signal.aborted; id = queue.shift()) {
      if (cancelRequests(state.dir).has(id)) {
        state.finish(id, { state: 'cancelled', exitCode: 130 });
        continue;
      }
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      running.set(id, controller);
      try {
        let outcome = await attempt(id, controller.signal);
        for (let retry = 1; outcome.state === 'failed' && retry <= state.sweep.options.retries && !controller.signal.aborted; retry++) {
          const reason = `failed (exit ${outcome.exitCode})${outcome.error ? `: ${outcome.error.split('\n').at(-1)}` : ''}`;
          state.emit({ type: 'trial-retry', time: new Date().toISOString(), trial: id, attempt: state.trial(id).attempts + 1, reason });
          outcome = await attempt(id, controller.signal);
        }
        state.finish(id, outcome);
      } catch (e) {
        state.finish(id, { state: 'failed', exitCode: 1, error: (e as Error).message });
      } finally {
        running.delete(id);
        signal.removeEventListener('abort', onAbort);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, ids.length)) }, worker));
  } finally {
    clearInterval(poll);
  }
}
