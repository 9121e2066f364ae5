// Module hook for the host-wiring tests: `import 'vscode'` loads the fake in fake-vscode.ts.
export async function resolve(specifier, context, next) {
  if (specifier === 'vscode') return { url: new URL('./fake-vscode.ts', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
