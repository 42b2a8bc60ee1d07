/**
 * The API reference check (`pnpm docs:check`, scripts/docs/typedoc.mjs):
 * TypeDoc over the public entry points of every published package, from
 * src/, fails on any warning: an export without TSDoc, a type the reference
 * uses without including it, a broken `{@link}`, an unknown tag.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('API reference (TypeDoc)', () => {
  it('every public export is documented and every link resolves', async () => {
    const r = await exec(process.execPath, ['scripts/docs/typedoc.mjs', '--check'], {
      cwd: ROOT,
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect('code' in r ? r.stderr + r.stdout : '').toBe('');
  }, 120_000);

  it('entry points: each published "exports" subpath but ./internal, from src/', async () => {
    const { publicEntryPoints } = (await import('../../docs/typedoc.mjs')) as {
      publicEntryPoints(): { entries: { specifier: string; src: string }[] };
    };
    const { entries } = publicEntryPoints();
    const names = entries.map((e) => e.specifier);
    expect(names).toContain('@blindwire/core');
    expect(names).toContain('@blindwire/directory/keystore-file');
    expect(names.some((n) => n.endsWith('/internal'))).toBe(false);
    expect(names.some((n) => n.startsWith('@blindwire/testkit'))).toBe(false);
    expect(entries.find((e) => e.specifier === '@blindwire/directory/file')!.src).toBe(
      'packages/directory/src/stores/file-store.ts',
    );
  });

  it('undocumentedExports names each export with no comment of its own nor on a signature', async () => {
    const { undocumentedExports } = (await import('../../docs/typedoc.mjs')) as {
      undocumentedExports(project: unknown): string[];
    };
    const decl = (name: string, comment: boolean, signatures?: boolean[]) => ({
      name,
      kind: 1,
      hasComment: () => comment,
      ...(signatures && { signatures: signatures.map((c) => ({ hasComment: () => c })) }),
    });
    const project = {
      children: [
        {
          name: '@blindwire/x',
          children: [
            decl('Documented', true),
            decl('Bare', false),
            decl('fnWithDocs', false, [true]),
            decl('fnBare', false, [false]),
            { ...decl('reexport', false), kind: 4194304 }, // ReflectionKind.Reference
          ],
        },
      ],
    };
    expect(undocumentedExports(project)).toEqual(['@blindwire/x: Bare', '@blindwire/x: fnBare']);
  });
});
