/** Where the CodeLens goes: the `search` header line of a `.bnas` text (no `vscode`: unit-tested). */

/** Line index of the `search` header (outside comments), or -1. */
export function searchLine(lines: readonly string[]): number {
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      line = line.slice(end + 2);
      inBlock = false;
    }
    line = line.replace(/\/\*.*?\*\//g, '');
    const open = line.indexOf('/*');
    if (open >= 0) {
      inBlock = true;
      line = line.slice(0, open);
    }
    if (/^\s*search\b/.test(line.replace(/(#|\/\/).*$/, ''))) return i;
  }
  return -1;
}
