/**
 * Human progress of a search on stderr: a one-line progress bar redrawn in place on a TTY, plain
 * lines per epoch otherwise (logs and CI). Pruning evaluations are shown as their own phase.
 */
import type { RunEvent } from '../protocol/events.js';
import { pruningBasis, type PruningBasis } from '../protocol/pruning-evidence.js';
import type { OutStream } from './command-io.js';

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function duration(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

/** Renders run events for a person. */
export class Progress {
  private epochs = 0;
  private line = false;
  /** The ops abandoned since the last epoch line, by what decided them (no basis: a rule without one). */
  private pruned: (PruningBasis | undefined)[] = [];

  constructor(private readonly err: OutStream) {}

  private get tty(): boolean {
    return this.err.isTTY === true;
  }

  private print(text: string): void {
    if (this.line) this.err.write('\r\x1b[2K');
    this.line = false;
    this.err.write(text + '\n');
  }

  private bar(text: string): void {
    if (!this.tty) return;
    this.err.write('\r\x1b[2K' + text);
    this.line = true;
  }

  /** Shows the progress of a guided search's full-precision parent phase. */
  private showParent(e: Extract<RunEvent, { type: 'parent' }>): void {
    const of = `parent epoch ${e.epoch}/${e.epochs}`;
    if (e.stage === 'started') this.print(`${e.resumed ? 'resuming' : 'searching'} the full-precision parent: ${e.epochs} epochs of ${e.steps ?? '?'} steps, no pruning`);
    else if (e.stage === 'step') this.bar(`${of} step ${e.step}/${e.steps} loss ${fmt(e.loss ?? NaN)} ${duration(e.seconds ?? 0)}`);
    else if (e.stage === 'epoch') this.print(`${of}: train loss ${fmt(e.loss ?? NaN)}, valid acc ${pct(e.valid_acc ?? 0)} (${duration(e.seconds ?? 0)})`);
    else {
      const normal = e.genotype ? `; its normal cell: ${e.genotype.normal.map(([op, input]) => `${op} ← ${input}`).join(', ')}` : '';
      this.print(`parent finished after ${e.epoch} epochs (${duration(e.seconds ?? 0)}): valid acc ${pct(e.valid_acc ?? 0)}${normal}; the search is guided by its op weights`);
    }
  }

  /** `, N abandoned (k on evidence, m by α)` for the round just ended; the split only under `pruning.confidence`. */
  private prunedText(): string {
    if (!this.pruned.length) return '';
    const on = (b: PruningBasis) => this.pruned.filter((x) => x === b).length;
    const split = this.pruned.every((b) => b !== undefined) ? ` (${on('evidence')} on evidence, ${on('alpha')} by α)` : '';
    return `, ${this.pruned.length} abandoned${split}`;
  }

  /** Shows one event. */
  show(e: RunEvent): void {
    switch (e.type) {
      case 'started':
        this.epochs = e.epochs;
        this.print(
          `${e.resumed ? 'resuming' : 'searching'} "${e.space}" on ${e.backend}${e.backend_reason ? ` (${e.backend_reason})` : ''}` +
            `${e.threads ? `, ${e.threads} thread(s)${e.shard_steps === false ? ', steps on 1' : ''}${e.threads_reason ? ` (${e.threads_reason})` : ''}` : ''}` +
            `${e.micro_batches && e.micro_batches > 1 ? `, ${e.micro_batches} micro-batches of ≤ ${e.micro_batch} images a step (${e.micro_batch_reason})` : ''}: ` +
            `${e.parameters} weights, ${e.edges} edges × ${e.ops.length} ops, ${e.epochs} epochs of ${e.steps_per_epoch} steps, seed ${e.seed}`,
        );
        break;
      case 'step': {
        const width = 24;
        const done = Math.min(width, Math.round((width * e.step) / Math.max(e.steps, 1)));
        const phase =
          e.phase === 'prune' ? `pruning: evaluation ${e.step}`
          : e.phase === 'derive' ? `deriving: edge probe ${e.step}`
          : `[${'#'.repeat(done)}${'.'.repeat(width - done)}] step ${e.step}/${e.steps}`;
        this.bar(`epoch ${e.epoch}/${this.epochs} ${phase} loss ${fmt(e.loss)} ${duration(e.seconds)}`);
        break;
      }
      case 'epoch':
        this.print(
          `epoch ${e.epoch}/${this.epochs}: train loss ${fmt(e.train_loss)} acc ${pct(e.train_acc)}, valid loss ${fmt(e.valid_loss)} acc ${pct(e.valid_acc)}, ` +
            `ops left ${e.ops_left}${this.prunedText()}${e.prune_seconds ? `, pruning ${duration(e.prune_seconds)}` : ''}${e.binary_share !== undefined && e.binary_share < 1 ? `, binary share λ ${fmt(e.binary_share, 2)}` : ''} (${duration(e.seconds)})`,
        );
        this.pruned = [];
        break;
      case 'parent':
        this.showParent(e);
        break;
      case 'pruned':
        this.pruned.push(pruningBasis(e.evidence));
        break;
      case 'warning':
        this.print(`warning: ${e.message}`);
        break;
      case 'failed':
        this.print(`search failed: ${e.message}`);
        break;
      case 'cancelled':
        this.print(`cancelled after epoch ${e.epoch}${e.checkpoint ? `; checkpoint in ${e.checkpoint} (continue with --resume)` : ''}`);
        break;
      case 'finished':
        this.print(
          `finished in ${duration(e.seconds)}${e.reason ? ` (${e.reason})` : ''}: supernet valid acc ${pct(e.valid_acc ?? 0)}` +
            (e.test_acc !== undefined ? `, test acc ${pct(e.test_acc)}` : ''),
        );
        break;
      default:
        break;
    }
  }
}
