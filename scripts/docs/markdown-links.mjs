/**
 * The Markdown link check: every relative link in the repository's Markdown
 * (the READMEs, docs/*.md, SPEC.md, ...) points at a file or directory that
 * exists, and its `#anchor`, when it has one and points into a Markdown file,
 * names a heading of that file as GitHub renders it (or an `<a id>`/`<a name>`).
 * Links inside fenced code blocks and inline code are not links; absolute URLs
 * are not checked (no network).
 *
 * Usage: node scripts/docs/markdown-links.mjs [file.md ...]   (default: every
 * tracked *.md file); prints one line per broken link, exit status 1 if any.
 * Tooling: implements no SPEC.md section.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The text of a Markdown file without its fenced code blocks and inline code spans. */
function prose(text) {
  return text
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[^\n]*$|(?![\s\S]))/gm, '')
    .replace(/(`+)[^`\n][\s\S]*?\1/g, '');
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading) {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link: its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[*`]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map();
/** The anchors of a Markdown file: its headings' slugs (repeats numbered as GitHub does) and HTML ids. */
export function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const text = readFileSync(file, 'utf8');
  const anchors = new Set();
  const seen = new Map();
  // Headings are read with their code spans (`## The \`seal\` verb`), so only fences go.
  const unfenced = text.replace(
    /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[^\n]*$|(?![\s\S]))/gm,
    '',
  );
  for (const m of unfenced.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  anchorCache.set(file, anchors);
  return anchors;
}

/** The relative link targets of a Markdown text: inline links, images and reference definitions. */
function targets(text) {
  const body = prose(text);
  const inline = [...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const defs = [...body.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...defs].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** The broken links of `files`, one line each: `file: reason link`. */
export function brokenLinks(files) {
  const problems = [];
  for (const file of files) {
    const name = relative(repo, file);
    for (const link of targets(readFileSync(file, 'utf8'))) {
      const hash = link.indexOf('#');
      const path = decodeURIComponent(hash === -1 ? link : link.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(link.slice(hash + 1));
      const target = path === '' ? file : resolve(dirname(file), path);
      if (!existsSync(target)) {
        problems.push(`${name}: missing ${link}`);
        continue;
      }
      if (anchor === undefined || !statSync(target).isFile() || !target.endsWith('.md')) continue;
      if (!anchorsOf(target).has(anchor)) problems.push(`${name}: no heading for ${link}`);
    }
  }
  return problems;
}

/** Every Markdown file git tracks, outside the generated API reference. */
export function trackedMarkdown() {
  return execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: repo, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !f.startsWith('docs/api/'))
    .map((f) => join(repo, f));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const problems = brokenLinks(args.length > 0 ? args.map((a) => resolve(a)) : trackedMarkdown());
  for (const p of problems) console.log(p);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
