/**
 * File access for the readers: every failure becomes a {@link DataError} that names the file and
 * says what was expected, because "ENOENT" or "unexpected end of file" alone does not tell a user
 * which of six data files is wrong.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/** A user-facing data problem. `file` is the file (or folder) at fault when there is one. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** True if the bytes start with the gzip magic number 1f 8b. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads a whole file, gunzipping it when its content is gzip (by magic number, whatever its
 * name says). Errors name the file.
 */
export async function readDataFile(file: string, signal?: AbortSignal): Promise<Uint8Array> {
  signal?.throwIfAborted();
  let raw: Buffer;
  try {
    raw = await readFile(file, { signal });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${file}: file not found`, file);
    if (code === 'EISDIR') throw new DataError(`${file}: is a folder, expected a data file`, file);
    throw new DataError(`${file}: cannot read (${(err as Error).message})`, file);
  }
  if (!isGzip(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    // 1 MB output chunks: far fewer chunk calls than the 16 kB default on dataset-sized files.
    const out = await gunzipAsync(raw, { chunkSize: 1 << 20 });
    signal?.throwIfAborted();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new DataError(
      `${file}: gzip data is damaged or truncated (${(err as Error).message}); download the file again`,
      file,
    );
  }
}

/**
 * Finds `name` or `name.gz` in `folder`; undefined when neither exists.
 */
export function findDataFile(folder: string, name: string): string | undefined {
  for (const candidate of [join(folder, name), join(folder, `${name}.gz`)]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Throws a clear error unless `folder` is an existing folder. `what` says what it is for. */
export function requireFolder(folder: string | undefined, what: string): string {
  if (folder === undefined || folder === '') {
    throw new DataError(`${what}: data.path is not set; set it to the folder holding the files`);
  }
  let isDir: boolean;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    throw new DataError(`${what}: folder ${folder} does not exist`, folder);
  }
  if (!isDir) throw new DataError(`${what}: ${folder} is a file; data.path must be a folder`, folder);
  return folder;
}
