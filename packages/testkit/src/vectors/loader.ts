/**
 * Lists and reads a directory of test-vector cases (test-vectors/README.md,
 * SPEC.md §12): the case files `NNN-name.json` in order, each parsed and
 * checked by `parseVectorCase`, and `index.json` checked by
 * `parseVectorIndex`. Synchronous, so that a test file can build its
 * `it.each` table at load time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VectorCaseError } from './fields.js';
import { CASE_FILE, INDEX_FILE, parseVectorCase, parseVectorIndex } from './parse.js';
import type { VectorCase, VectorIndex } from './types.js';

/** A case file and its parsed contents. */
export interface LoadedCase {
  file: string;
  c: VectorCase;
}

function readJson(path: string, file: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new VectorCaseError(`${file}: not JSON (${(e as Error).message})`);
  }
}

/** The case file names in `dir` (NNN-name.json), sorted; index.json and other files are not cases. */
export function listCaseFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => CASE_FILE.test(f))
    .sort();
}

/** One case file of `dir`, parsed and checked. */
export function readCase(dir: string, file: string): VectorCase {
  return parseVectorCase(readJson(join(dir, file), file), file);
}

/** Every case file of `dir`, in order, parsed and checked. */
export function loadCases(dir: string): LoadedCase[] {
  return listCaseFiles(dir).map((file) => ({ file, c: readCase(dir, file) }));
}

/** `dir`/index.json, parsed and checked. */
export function loadIndex(dir: string): VectorIndex {
  return parseVectorIndex(readJson(join(dir, INDEX_FILE), INDEX_FILE));
}
