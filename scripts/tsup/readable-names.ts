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
 * JavaScript keeps esbuild's names: an entry point is named as in
 * package.json "exports", and a chunk that several entry points share is
 * `chunk-<hash>.js` whatever its contents (esbuild's `[name]` of a chunk is
 * always "chunk"). Splitting stays on so the entry points share one copy of
 * each module (one `BlindwireError` class), and the chunks stay beside the
 * entry points: code that finds a file relative to its own module
 * (`import.meta.url`: the CLI's ../package.json, the open pool's worker
 * script) may end up in a chunk. Source maps lead from a chunk back to the
 * source files.
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
