/**
 * Reads a directory of test vectors for `blindwire vectors verify`
 * (test-vectors/README.md, SPEC.md §12): the case files named as the one
 * schema (@blindwire/testkit, bundled into this package) names them, and
 * index.json, when present, parsed by that schema and cross-checked against
 * the cases. Unreadable files become problems to report, never a crash.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CASE_FILE,
  INDEX_FILE,
  VectorCaseError,
  indexProblems,
  parseVectorIndex,
} from '@blindwire/testkit';
import { readJson } from '../files.js';
import type { CliIo } from '../io.js';
import type { VectorCase } from './check-case.js';

/** A case file that could not be read, with why. */
export interface CaseFailure {
  file: string;
  problems: string[];
}

/** The cases of a directory, the files that could not be read, and what is wrong with index.json. */
export interface CaseDir {
  cases: Map<string, VectorCase>;
  failures: CaseFailure[];
  indexProblems: string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function checkIndexFile(
  io: CliIo,
  abs: string,
  cases: Map<string, VectorCase>,
): Promise<string[]> {
  const path = join(abs, INDEX_FILE);
  if (!(await exists(path))) return [];
  try {
    return indexProblems(parseVectorIndex(await readJson(io, path, INDEX_FILE)), cases);
  } catch (e) {
    if (e instanceof VectorCaseError) return [e.message];
    throw e;
  }
}

/** Lists and reads the case files (NNN-name.json) of `abs`, in order, and checks index.json against them. */
export async function loadCaseDir(io: CliIo, abs: string): Promise<CaseDir> {
  const names = (await readdir(abs)).filter((f) => CASE_FILE.test(f)).sort();
  const cases = new Map<string, VectorCase>();
  const failures: CaseFailure[] = [];
  for (const file of names) {
    try {
      const json = await readJson(io, join(abs, file), file);
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        failures.push({ file, problems: ['malformed case: "case" expected a JSON object'] });
        continue;
      }
      cases.set(file, json as VectorCase);
    } catch (e) {
      failures.push({ file, problems: [`unreadable: ${(e as Error).message}`] });
    }
  }
  const problems = names.length === 0 ? ['no case files (NNN-name.json) found'] : [];
  problems.push(...(await checkIndexFile(io, abs, cases)));
  return { cases, failures, indexProblems: problems };
}
