/**
 * Allowed-sender patterns (SPEC.md §7 step 16). A string is matched whole:
 * `*` matches any run of characters other than `/`, `**` matches any run.
 * A RegExp is used as given (anchor it yourself).
 */
import { invalidArgument } from '../errors.js';

export function compileSenderPatterns(
  patterns: (string | RegExp)[] | undefined,
): ((name: string) => boolean) | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns))
    throw invalidArgument('allowedSenders', 'an array of strings or RegExps');
  const res = patterns.map((p, i) => {
    if (p instanceof RegExp) return p;
    if (typeof p !== 'string' || p.length === 0)
      throw invalidArgument(`allowedSenders[${i}]`, 'a non-empty string');
    const src = p
      .split('**')
      .map((part) =>
        part
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('.*');
    return new RegExp(`^${src}$`);
  });
  return (name) => res.some((r) => r.test(name));
}
