/**
 * Name patterns (SPEC.md §7.1), one matcher for the allowed senders of
 * `open` and `openStream` (SPEC.md §7 step 16, §7a.5 step 9) and for the name
 * constraints of trust anchors in @blindwire/directory (SPEC.md §11.2 step 4).
 *
 * A pattern matches a whole name: `**` matches one or more characters of any
 * kind, `*` one or more characters other than `/`, and every other character
 * itself. Characters are code points, compared exactly (case-sensitive, no
 * normalisation). There is no escape; three or more consecutive `*` are
 * refused. Matching runs the pattern as a set of states over the name's code
 * points: time len(pattern) x len(name), never the exponential backtracking a
 * regular expression with several wildcards can fall into.
 */
import { invalidArgument } from '../errors.js';

/** One token of a pattern (SPEC.md §7.1): a wildcard, or a code point that matches itself. */
type Token = { wildcard: '*' | '**' } | { literal: string };

/** SPEC.md §7.1: read left to right; `**` is two consecutive `*`, `*` a lone one. */
function tokens(pattern: string): Token[] | undefined {
  const out: Token[] = [];
  const cps = Array.from(pattern);
  for (let i = 0; i < cps.length; i++) {
    if (cps[i] !== '*') {
      out.push({ literal: cps[i]! });
      continue;
    }
    let run = 1;
    while (cps[i + run] === '*') run++;
    if (run > 2) return undefined; // SPEC.md §7.1: three or more `*` in a row
    out.push({ wildcard: run === 2 ? '**' : '*' });
    i += run - 1;
  }
  return out;
}

/** Whether `p` is a pattern of SPEC.md §7.1: a non-empty string without three consecutive `*`. */
export function isNamePattern(p: unknown): p is string {
  return typeof p === 'string' && p.length > 0 && tokens(p) !== undefined;
}

/** Whether token `t` takes code point `cp`: `**` any, `*` any but `/`, a literal only itself. */
function takes(t: Token, cp: string): boolean {
  if ('literal' in t) return t.literal === cp;
  return t.wildcard === '**' || cp !== '/';
}

/**
 * `reach[j]`: tokens 0..j-1 match the name read so far. Every token takes at
 * least one code point, so a next code point either starts token j, or
 * extends the wildcard j-1 that ended the match so far.
 */
function matches(ts: readonly Token[], name: string): boolean {
  let reach = new Uint8Array(ts.length + 1);
  reach[0] = 1;
  for (const cp of name) {
    const next = new Uint8Array(ts.length + 1);
    let alive = false;
    for (let j = 0; j <= ts.length; j++) {
      if (reach[j] !== 1) continue;
      const last = ts[j - 1];
      if (last !== undefined && 'wildcard' in last && takes(last, cp)) {
        next[j] = 1;
        alive = true;
      }
      const t = ts[j];
      if (t !== undefined && takes(t, cp)) {
        next[j + 1] = 1;
        alive = true;
      }
    }
    if (!alive) return false;
    reach = next;
  }
  return reach[ts.length] === 1;
}

/**
 * The matcher of one pattern (SPEC.md §7.1). A pattern that is not one
 * (empty, not a string, three `*` in a row) is an argument error naming `what`.
 */
export function compileNamePattern(pattern: string, what = 'pattern'): (name: string) => boolean {
  const ts = typeof pattern === 'string' && pattern.length > 0 ? tokens(pattern) : undefined;
  if (ts === undefined) {
    throw invalidArgument(what, 'a non-empty name pattern without three consecutive "*"');
  }
  return (name) => typeof name === 'string' && matches(ts, name);
}

/**
 * A caller's RegExp as a matcher: a copy, taken now (`compile` on the
 * caller's object cannot change it later); `g` and `y` are refused, as their
 * `lastIndex` would carry from one sender to the next.
 */
function regExpMatcher(p: RegExp, what: string): (name: string) => boolean {
  if (p.global || p.sticky)
    throw invalidArgument(
      what,
      `a RegExp without the g or y flag (they keep state), got /${p.flags}`,
    );
  const copy = new RegExp(p.source, p.flags);
  return (name) => typeof name === 'string' && copy.test(name);
}

/**
 * `allowedSenders` (SPEC.md §7 step 16): a sender is allowed when it matches
 * at least one entry, so an empty list allows no one. A string is a pattern
 * of SPEC.md §7.1; a RegExp (an API extension, not part of the format) is
 * used as given, without the stateful flags `g` and `y`: anchor it yourself.
 * Every index is read, holes included (a hole is not a pattern).
 */
export function compileSenderPatterns(
  patterns: (string | RegExp)[] | undefined,
): ((name: string) => boolean) | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns))
    throw invalidArgument('allowedSenders', 'an array of strings or RegExps');
  const matchers = Array.from(patterns as unknown[], (p, i): ((name: string) => boolean) => {
    const what = `allowedSenders[${i}]`;
    if (p instanceof RegExp) return regExpMatcher(p, what);
    return compileNamePattern(p as string, what);
  });
  return (name) => matchers.some((m) => m(name));
}
