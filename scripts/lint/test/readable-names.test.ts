/**
 * Readable declaration file names (scripts/tsup/readable-names.ts): in every
 * published package's dist/, each .d.ts is named after a source file
 * (`dist/envelope/seal.d.ts` <- `src/envelope/seal.ts`), so no hashed
 * declaration chunk (`seal-DlAf_gA8.d.ts`) is left. Reads what `pnpm build`
 * left in dist/.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { declarationEntries } from '../../tsup/readable-names.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const published = readdirSync(join(ROOT, 'packages')).filter((p) => {
  const manifest = join(ROOT, 'packages', p, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).private !== true;
});

function declarations(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => f.replace(/\\/g, '/'))
    .filter((f) => f.endsWith('.d.ts'));
}

describe('readable declaration names', () => {
  it('declarationEntries maps each source file to its own path', () => {
    const entries = declarationEntries(join(ROOT, 'packages/core/src'));
    expect(entries['envelope/seal']).toBe(
      join(ROOT, 'packages/core/src/envelope/seal.ts').replace(/\\/g, '/'),
    );
    expect(entries['index']).toBeDefined();
    expect(Object.keys(entries).some((k) => k.endsWith('.d'))).toBe(false);
  });

  for (const pkg of published) {
    const dist = join(ROOT, 'packages', pkg, 'dist');
    it.skipIf(!existsSync(dist))(
      `${pkg}: every .d.ts in dist/ is named after a source file`,
      () => {
        const src = join(ROOT, 'packages', pkg, 'src');
        const unnamed = declarations(dist).filter(
          (d) => !existsSync(join(src, d.replace(/\.d\.ts$/, '.ts'))),
        );
        expect(unnamed, relative(ROOT, dist)).toEqual([]);
        expect(declarations(dist)).toContain('index.d.ts');
      },
    );
  }
});
