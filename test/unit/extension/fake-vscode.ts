/**
 * A fake `vscode` module for unit tests of the runs feature's host wiring (commands, views,
 * status bar, progress) in plain Node. It implements only what the feature calls, records what the
 * feature shows, and lets a test script the user's answers (`fake.answers`). Loaded in place of
 * `vscode` by `vscode-loader.mjs`.
 */
import { dirname, join, relative } from 'node:path';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>) => {
    this.listeners.push(l);
    return { dispose: () => void (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(u.scheme, join(u.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath;
  }
  with(change: { path?: string; scheme?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.fsPath);
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}
export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[] },
  ) {}
}
export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class MarkdownString {
  constructor(public value = '') {}
  appendMarkdown(s: string): this {
    this.value += s;
    return this;
  }
}
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  contextValue?: string;
  iconPath?: unknown;
  command?: unknown;
  constructor(
    readonly label: string,
    readonly collapsibleState = 0,
  ) {}
}
export class RelativePattern {
  constructor(
    readonly base: unknown,
    readonly pattern: string,
  ) {}
}
export const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 } as const;
export const StatusBarAlignment = { Left: 1, Right: 2 } as const;
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;
export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 } as const;
export const ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 } as const;
export const FileType = { File: 1, Directory: 2 } as const;

const disposable = { dispose: () => undefined };

export interface ShownMessage {
  readonly kind: 'info' | 'warning' | 'error';
  readonly text: string;
  readonly items: string[];
}

/** What the feature did, and what the "user" answers next. */
export const fake = {
  trusted: true,
  /** Where the next save dialog "saves" (undefined: the user cancels it). */
  saveTo: undefined as string | undefined,
  settings: new Map<string, unknown>(),
  folders: [] as { uri: Uri; name: string; index: number }[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { id: string; args: unknown[] }[],
  messages: [] as ShownMessage[],
  /** Answers to the next messages/quick picks, in order (a label, or undefined to dismiss). */
  answers: [] as (string | undefined)[],
  statusItems: [] as { text: string; visible: boolean; tooltip?: unknown }[],
  progress: [] as { title: string; reports: { message?: string; increment?: number }[]; cancel: EventEmitter<void>; done: boolean; settled: Promise<void> }[],
  treeProviders: new Map<string, { getChildren(e?: unknown): unknown[]; getTreeItem(e: unknown): TreeItem }>(),
  diagnostics: new Map<string, { severity: number; message: string }[]>(),
  lensProviders: [] as { provideCodeLenses(doc: unknown): CodeLens[] }[],
  messageListeners: [] as ((m: ShownMessage) => void)[],
  /** Untitled documents opened (their URI) and the text inserted into each editor shown. */
  untitled: [] as { uri: Uri; text: string }[],
  reset(): void {
    this.untitled.length = 0;
    this.trusted = true;
    this.settings.clear();
    this.commands.clear();
    this.executed.length = 0;
    this.messages.length = 0;
    this.answers.length = 0;
    this.statusItems.length = 0;
    this.progress.length = 0;
    this.treeProviders.clear();
    this.diagnostics.clear();
    this.lensProviders.length = 0;
    this.messageListeners.length = 0;
  },
};

function show(kind: 'info' | 'warning' | 'error') {
  return async (text: string, ...rest: unknown[]) => {
    const items = rest.filter((x): x is string => typeof x === 'string');
    const m: ShownMessage = { kind, text, items };
    fake.messages.push(m);
    for (const l of fake.messageListeners) l(m);
    const answer = fake.answers.shift();
    return answer !== undefined && items.includes(answer) ? answer : undefined;
  };
}

export const window = {
  activeTextEditor: undefined as unknown,
  showInformationMessage: show('info'),
  showWarningMessage: show('warning'),
  showErrorMessage: show('error'),
  async showQuickPick<T extends { label: string } | string>(items: T[] | Promise<T[]>) {
    const list = await items;
    const answer = fake.answers.shift();
    return list.find((i) => (typeof i === 'string' ? i : i.label) === answer);
  },
  async showInputBox() {
    return fake.answers.shift();
  },
  async showTextDocument(doc: { uri?: Uri }) {
    const entry = fake.untitled.find((u) => u.uri === doc.uri);
    return {
      async edit(build: (b: { insert(at: Position, text: string): void }) => void) {
        build({ insert: (_at, text) => entry && (entry.text += text) });
        return true;
      },
    };
  },
  async showOpenDialog() {
    return undefined;
  },
  async showSaveDialog() {
    return fake.saveTo ? Uri.file(fake.saveTo) : undefined;
  },
  async showWorkspaceFolderPick() {
    return fake.folders[0];
  },
  createStatusBarItem() {
    const item = { text: '', visible: false, tooltip: undefined as unknown, name: '', command: '', show() { this.visible = true; }, hide() { this.visible = false; }, dispose() {} };
    fake.statusItems.push(item);
    return item;
  },
  createTreeView(id: string, opts: { treeDataProvider: { getChildren(e?: unknown): unknown[]; getTreeItem(e: unknown): TreeItem } }) {
    fake.treeProviders.set(id, opts.treeDataProvider);
    return { badge: undefined as unknown, reveal: async () => undefined, dispose() {} };
  },
  withProgress<R>(opts: { title: string }, task: (p: { report(r: { message?: string; increment?: number }): void }, token: { onCancellationRequested: (l: () => void) => { dispose(): void } }) => Promise<R>) {
    const entry = { title: opts.title, reports: [] as { message?: string; increment?: number }[], cancel: new EventEmitter<void>(), done: false, settled: Promise.resolve() };
    fake.progress.push(entry);
    const result = task({ report: (r) => void entry.reports.push(r) }, { onCancellationRequested: (l) => entry.cancel.event(l) }).finally(() => {
      entry.done = true;
    });
    entry.settled = result.then(() => undefined);
    return result;
  },
  createOutputChannel() {
    return logChannel();
  },
};

export function logChannel() {
  const lines: string[] = [];
  const add = (level: string) => (m: unknown, ...rest: unknown[]) => void lines.push(`${level} ${String(m)} ${rest.map(String).join(' ')}`.trim());
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error'), show() {}, dispose() {} };
}

export const workspace = {
  get isTrusted() {
    return fake.trusted;
  },
  get workspaceFolders() {
    return fake.folders;
  },
  textDocuments: [] as unknown[],
  getWorkspaceFolder(uri: Uri) {
    return fake.folders.find((f: { uri: Uri }) => !relative(f.uri.fsPath, uri.fsPath).startsWith('..'));
  },
  getConfiguration(section: string) {
    return {
      get: <T>(key: string, fallback: T) => (fake.settings.has(`${section}.${key}`) ? (fake.settings.get(`${section}.${key}`) as T) : fallback),
      update: async (key: string, value: unknown) => void fake.settings.set(`${section}.${key}`, value),
    };
  },
  onDidChangeConfiguration: () => disposable,
  onDidChangeWorkspaceFolders: () => disposable,
  onDidGrantWorkspaceTrust: () => disposable,
  createFileSystemWatcher: () => ({ onDidCreate: () => disposable, onDidDelete: () => disposable, dispose() {} }),
  async openTextDocument(uri: Uri) {
    if (uri.scheme === 'untitled') {
      fake.untitled.push({ uri, text: '' });
      return { uri, isDirty: false, languageId: 'plaintext', getText: () => '', save: async () => false };
    }
    const text = await readFile(uri.fsPath, 'utf8');
    return { uri, isDirty: false, languageId: 'bnas', getText: () => text, save: async () => true };
  },
  async findFiles() {
    return [];
  },
  asRelativePath(p: Uri | string) {
    const path = typeof p === 'string' ? p : p.fsPath;
    const f = fake.folders[0];
    return f ? relative(f.uri.fsPath, path) : path;
  },
  fs: {
    async writeFile(uri: Uri, data: Uint8Array) {
      await mkdir(dirname(uri.fsPath), { recursive: true });
      await writeFile(uri.fsPath, data);
    },
    async rename(from: Uri, to: Uri) {
      await rename(from.fsPath, to.fsPath);
    },
    async stat(uri: Uri) {
      const s = await stat(uri.fsPath);
      return { type: s.isDirectory() ? FileType.Directory : FileType.File };
    },
  },
};

export const languages = {
  getDiagnostics(uri: Uri) {
    return fake.diagnostics.get(uri.fsPath) ?? [];
  },
  onDidChangeDiagnostics: () => disposable,
  registerCodeLensProvider(_selector: unknown, provider: { provideCodeLenses(doc: unknown): CodeLens[] }) {
    fake.lensProviders.push(provider);
    return disposable;
  },
};

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
    fake.commands.set(id, handler);
    return { dispose: () => void fake.commands.delete(id) };
  },
  async executeCommand(id: string, ...args: unknown[]) {
    fake.executed.push({ id, args });
    return fake.commands.get(id)?.(...args);
  },
};

export const env = { clipboard: { text: '', async writeText(t: string) { this.text = t; } } };
