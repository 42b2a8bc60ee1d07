/** Loads the official vectors from ../shared/vectors (never copied into the repo). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: packages/core/test/helpers -> ../../../.. */
export const repoRoot = resolve(here, '../../../..');

/** The shared vectors folder beside the project (BLINDWIRE_VECTORS overrides it). */
export function vectorsDir(): string {
  const dir = process.env.BLINDWIRE_VECTORS ?? resolve(repoRoot, '../shared/vectors');
  if (!existsSync(dir)) {
    throw new Error(
      `official test vectors not found at ${dir}: set BLINDWIRE_VECTORS or place shared/ beside the project`,
    );
  }
  return dir;
}

export function loadVectors<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(resolve(vectorsDir(), relativePath), 'utf8')) as T;
}

export function hex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}
