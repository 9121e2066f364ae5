/**
 * The `.bnas` language server (bundled to `dist/language-server.cjs`): Langium services on the
 * one grammar and schema, plus the editor features of `runtime/dsl/lsp/`, over the connection
 * the client opened (Node IPC from the extension; `--stdio` also works for other editors).
 * Plain Node: no TensorFlow.js, no vscode.
 */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createBnasServices } from '../module.js';
import { BnasLspModule } from '../lsp/module.js';

// The transport (IPC, stdio, socket) is chosen by the command line the client used.
const connection = createConnection(ProposedFeatures.all);
const { shared } = createBnasServices({ connection, ...NodeFileSystem }, BnasLspModule);
startLanguageServer(shared);
