/**
 * The one object that owns every long-lived resource of the extension: disposables, settings
 * access, the "BNAS" log, and the parts features plug in (language client, run manager,
 * panels). Activation builds it; deactivation disposes it, and with it everything it owns.
 *
 * How a feature plugs in (without editing this file):
 *
 * ```ts
 * // extension/runs/register.ts
 * declare module '../context.js' {
 *   interface BnasParts { runs: RunManager }
 * }
 * export function registerRuns(ctx: BnasContext): void {
 *   const manager = ctx.provide('runs', new RunManager(...)); // disposed with the context
 *   ctx.own(vscode.commands.registerCommand('bnas.runSearch', runSearch(ctx)));
 * }
 * ```
 * and add `registerRuns` to the feature list in `extension/main.ts`. Other features then read it
 * with `ctx.get('runs')` (throws a clear error when the feature is missing) or `ctx.tryGet('runs')`.
 */
import * as vscode from 'vscode';
import { parseThreads, type ThreadsChoice } from '../runtime/protocol/threads.js';

/**
 * The parts features provide, keyed by name. Each feature adds its own entry by module
 * augmentation (see the file comment); the language client is the first.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by augmentation
export interface BnasParts {}

/** Root of every setting of the extension (`bnas.*`). */
export const SETTINGS_SECTION = 'bnas';

/** Something that can be disposed, synchronously or not. */
export interface AnyDisposable {
  dispose(): unknown;
}

/** The extension's context object. One per activation. */
export class BnasContext implements vscode.Disposable {
  /** The "BNAS" log: the one place the extension (and the language client) writes to. */
  readonly log: vscode.LogOutputChannel;
  private readonly owned: AnyDisposable[] = [];
  private readonly parts = new Map<keyof BnasParts, unknown>();
  private disposed = false;

  /**
   * @param extension VS Code's extension context (paths, storage, secrets).
   * @param log the log channel; created by {@link createBnasContext} in the real host.
   */
  constructor(
    readonly extension: vscode.ExtensionContext,
    log: vscode.LogOutputChannel,
  ) {
    this.log = this.own(log);
  }

  /**
   * Takes ownership of a disposable: it is disposed (in reverse order of registration) when the
   * extension deactivates. Returns its argument so it can wrap a constructor call.
   */
  own<T extends AnyDisposable>(disposable: T): T {
    if (this.disposed) {
      // A late registration (for example after an async start raced deactivation) must not leak.
      void Promise.resolve(disposable.dispose()).catch((e: unknown) => this.log.error('dispose failed', e));
      return disposable;
    }
    this.owned.push(disposable);
    return disposable;
  }

  /**
   * Registers a part under its name and takes ownership of it when it is disposable.
   * Each part is provided once: a second registration is a programming error.
   */
  provide<K extends keyof BnasParts>(name: K, part: BnasParts[K]): BnasParts[K] {
    if (this.parts.has(name)) throw new Error(`BNAS: the part "${String(name)}" is already registered.`);
    this.parts.set(name, part);
    if (isDisposable(part)) this.own(part);
    return part;
  }

  /** The part registered under `name`; throws a clear error if its feature did not register it. */
  get<K extends keyof BnasParts>(name: K): BnasParts[K] {
    if (!this.parts.has(name)) {
      throw new Error(`BNAS: "${String(name)}" is not available (its feature did not start; see the BNAS log).`);
    }
    return this.parts.get(name) as BnasParts[K];
  }

  /** The part registered under `name`, or undefined. */
  tryGet<K extends keyof BnasParts>(name: K): BnasParts[K] | undefined {
    return this.parts.get(name) as BnasParts[K] | undefined;
  }

  /**
   * Reads a setting `bnas.<key>` for an optional resource scope (a `.bnas` file's URI for
   * folder-specific values). Read it where it is used, through the context, never cached in a
   * module global, so changes apply without a reload.
   */
  setting<T>(key: string, fallback: T, scope?: vscode.ConfigurationScope): T {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).get<T>(key, fallback);
  }

  /** `bnas.threads`: `auto` or a whole number from 1 to 32 (anything else: `auto`, the runtime's default). */
  threadsSetting(scope?: vscode.ConfigurationScope): ThreadsChoice {
    try {
      return parseThreads(String(this.setting<number | string>('threads', 'auto', scope)));
    } catch {
      return 'auto';
    }
  }

  /** Calls `listener` whenever `bnas.<key>` changes; the subscription is owned by the context. */
  onSettingChanged(key: string, listener: () => void): vscode.Disposable {
    return this.own(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.${key}`)) listener();
      }),
    );
  }

  /** Whether the workspace is trusted: running searches needs trust, editing does not. */
  get isTrusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Absolute path of a file shipped with the extension (e.g. `dist/language-server.cjs`). */
  asAbsolutePath(relative: string): string {
    return this.extension.asAbsolutePath(relative);
  }

  /**
   * Disposes everything owned, newest first, waiting for asynchronous disposals (the language
   * client stops its server). A failing disposal is logged and does not stop the others.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const log = this.log;
    for (const d of this.owned.splice(0).reverse()) {
      try {
        await d.dispose();
      } catch (e) {
        // The log itself may be the failing one, or already gone: fall back to the console.
        if (d !== log) log.error('BNAS: a resource failed to dispose', e);
        else console.error('BNAS: the log failed to dispose', e);
      }
    }
    this.parts.clear();
  }
}

function isDisposable(x: unknown): x is AnyDisposable {
  return typeof x === 'object' && x !== null && typeof (x as AnyDisposable).dispose === 'function';
}

/** Builds the context for an activation: creates the "BNAS" log channel. */
export function createBnasContext(extension: vscode.ExtensionContext): BnasContext {
  return new BnasContext(extension, vscode.window.createOutputChannel('BNAS', { log: true }));
}
