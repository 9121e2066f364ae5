/**
 * The VS Code theme as the webview sees it: VS Code puts `vscode-light`, `vscode-dark`,
 * `vscode-high-contrast` or `vscode-high-contrast-light` on <body> and changes it live.
 * A report page outside VS Code sets the same classes itself from `prefers-color-scheme`.
 */
export type ThemeKind = 'light' | 'dark' | 'hc-dark' | 'hc-light';

/** Reads the current theme kind from the body classes. */
export function currentTheme(): ThemeKind {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'hc-light';
  if (c.contains('vscode-high-contrast')) return 'hc-dark';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

/** Calls `listener` whenever the theme kind changes; returns a function that stops listening. */
export function onThemeChange(listener: (kind: ThemeKind) => void): () => void {
  let last = currentTheme();
  const observer = new MutationObserver(() => {
    const now = currentTheme();
    if (now !== last) {
      last = now;
      listener(now);
    }
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

/** Value of a CSS custom property on <body>, or `fallback` when unset. */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}
