/**
 * The Markdown link check (scripts/docs/markdown-links.mjs): every relative
 * link and `#anchor` in the repository's Markdown resolves. First on fixture
 * files, each broken link found and nothing else, then on every tracked
 * Markdown file (the READMEs, docs/*.md, SPEC.md).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Checker {
  brokenLinks(files: string[]): string[];
  trackedMarkdown(): string[];
  slug(heading: string): string;
}
const checker = (await import('../../docs/markdown-links.mjs')) as Checker;

let dir: string;
const md = (name: string) => join(dir, name);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'markdown-links-'));
  await mkdir(md('sub'));
  await writeFile(
    md('target.md'),
    [
      '# Target',
      '## 9. Errors',
      '## The `seal` verb',
      '## Options',
      '## Options',
      '<a id="custom"></a>',
      '```md',
      '## Not a heading',
      '```',
      '',
    ].join('\n'),
  );
  await writeFile(md('sub/file.txt'), 'x\n');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Markdown link check', () => {
  it('GitHub heading anchors', () => {
    expect(checker.slug('9. Errors')).toBe('9-errors');
    expect(checker.slug('The `seal` verb')).toBe('the-seal-verb');
    expect(checker.slug('What goes where (and why)')).toBe('what-goes-where-and-why');
    expect(checker.slug('snake_case stays')).toBe('snake_case-stays');
  });

  it('accepts links that resolve', async () => {
    await writeFile(
      md('good.md'),
      [
        '[a](target.md) [b](target.md#9-errors) [c](./target.md#the-seal-verb)',
        '[d](target.md#options-1) [e](target.md#custom) [f](sub) [g](sub/file.txt)',
        '[h](#local) [i](https://example.com/missing.md#x) [j]: target.md#options',
        '## Local',
        '`[not a link](missing.md)`',
        '```sh',
        '[not a link either](missing.md)',
        '```',
        '',
      ].join('\n'),
    );
    expect(checker.brokenLinks([md('good.md')])).toEqual([]);
  });

  it('reports a missing file, a missing anchor and a heading inside a code block', async () => {
    await writeFile(
      md('bad.md'),
      [
        '[a](missing.md)',
        '[b](target.md#nine-errors)',
        '[c](target.md#not-a-heading)',
        '[d](#nowhere)',
        '[e]: sub/missing.txt',
        '[f](target.md#options-2)',
        '',
      ].join('\n'),
    );
    const problems = checker.brokenLinks([md('bad.md')]).map((p) => p.replace(/^.*?: /, ''));
    expect(problems).toEqual([
      'missing missing.md',
      'no heading for target.md#nine-errors',
      'no heading for target.md#not-a-heading',
      'no heading for #nowhere',
      'no heading for target.md#options-2',
      'missing sub/missing.txt',
    ]);
  });

  it('every link in the repository Markdown resolves', () => {
    const files = checker.trackedMarkdown();
    const names = files.map((f) => f.replace(/\\/g, '/'));
    for (const must of [
      '/README.md',
      '/SPEC.md',
      '/docs/cli-to-code.md',
      '/packages/core/README.md',
    ])
      expect(
        names.some((n) => n.endsWith(must)),
        must,
      ).toBe(true);
    expect(checker.brokenLinks(files)).toEqual([]);
  });
});
