/**
 * The journal of an evaluation from scratch (`bnas evaluate --journal DIR`, docs/design.md, "The
 * command line"): every training that finishes is appended to `DIR/<fingerprint>.jsonl` at once,
 * so a cancelled, killed or crashed evaluation keeps its finished trainings and the same command
 * run again trains only the rest. The fingerprint covers everything that decides a training's
 * result (genotype, protocol text, epochs, seed, random cells, repeats, threads, backend), so a
 * journal is only ever read back by the evaluation that wrote it; any other evaluation gets a
 * file of its own. The journal is removed once the evaluation has reported.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a finished training leaves in the journal. */
export interface JournalEntry {
  readonly accuracy: number;
  readonly parameters: number;
  readonly seconds: number;
}

export class EvaluationJournal {
  private readonly entries = new Map<string, JournalEntry>();
  /** The file ends in a line cut short by a kill: the next entry starts on a line of its own. */
  private torn = false;

  private constructor(readonly file: string) {
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    this.torn = text.length > 0 && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      const e = parseLine(line);
      if (e) this.entries.set(e.label, e.entry);
    }
  }

  /** The journal in `dir` of the evaluation that `identity` describes (any JSON value; the same value, the same file). */
  static open(dir: string, identity: unknown): EvaluationJournal {
    const fingerprint = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
    return new EvaluationJournal(join(dir, `${fingerprint}.jsonl`));
  }

  /** How many trainings the journal holds. */
  get size(): number {
    return this.entries.size;
  }

  /** The finished training of this label, if the journal holds it. */
  get(label: string): JournalEntry | undefined {
    return this.entries.get(label);
  }

  /** Appends a finished training (written through before it returns). */
  record(label: string, entry: JournalEntry): void {
    this.entries.set(label, entry);
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, (this.torn ? '\n' : '') + JSON.stringify({ label, ...entry }) + '\n');
    this.torn = false;
  }

  /** Removes the journal, and its folder once no other evaluation's journal is in it: the evaluation has reported. */
  remove(): void {
    rmSync(this.file, { force: true });
    try {
      rmdirSync(dirname(this.file));
    } catch {
      // another evaluation's journal is still there
    }
  }
}

/** One line of a journal; undefined for a line cut short by a kill mid-write, or any other text. */
function parseLine(line: string): { label: string; entry: JournalEntry } | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    const { label, accuracy, parameters, seconds } = v;
    if (typeof label !== 'string' || typeof accuracy !== 'number' || typeof parameters !== 'number' || typeof seconds !== 'number') return undefined;
    return { label, entry: { accuracy, parameters, seconds } };
  } catch {
    return undefined;
  }
}
