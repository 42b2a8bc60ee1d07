/**
 * Readable file names in every package's dist/, shared by the packages'
 * tsup.config.ts.
 *
 * Declarations: rollup-plugin-dts (tsup's `dts`) names a declaration chunk
 * that several entry points share `<first module>-<hash>.d.ts`
 * (`seal-DlAf_gA8.d.ts`), and tsup offers no option to change that. So every
 * source file is made a declaration entry: nothing is left to share, no chunk
 * is made, and each type is declared in a file named after its source
 * (`dist/envelope/seal.d.ts` for `src/envelope/seal.ts`), which is where an
 * editor's "go to definition" lands. The public entry points keep their names
 * (they are source files too), so package.json "exports" is unchanged.
 *
 * JavaScript: esbuild names a shared chunk `chunk-<hash>.js` whatever its
 * contents (`[name]` is always "chunk"), and splitting must stay on so that
 * the entry points share one copy of each module (one `BlindwireError`
 * class). The chunks go to `dist/chunks/`, so that the top of dist/ holds only
 * the entry points, named as in package.json; source maps lead from a chunk
 * back to the source file.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every `.ts` file under `srcDir` (not `.d.ts`), keyed by its path without the extension. */
export function declarationEntries(srcDir = 'src'): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const name = relative(srcDir, path).replace(/\\/g, '/').replace(/\.ts$/, '');
        entries[name] = path.replace(/\\/g, '/');
      }
    }
  };
  walk(srcDir);
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
}

/** esbuild's names for shared chunks: `dist/chunks/chunk-<hash>.js`. */
export const CHUNK_NAMES = 'chunks/[name]-[hash]';
