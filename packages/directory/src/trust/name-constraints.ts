/**
 * Name constraints of trust anchors (SPEC.md §11.2 step 4). A constraint is
 * a name pattern of SPEC.md §7.1, matched against the whole identity name by
 * core's one matcher (the allowed senders of `open` use the same): `*`
 * matches one or more characters other than `/`, `**` one or more of any
 * kind. Matching is on the name as written, so a name is only ever covered
 * when it is a plain URI that every parser reads the same way: a scheme,
 * `//`, a host of letters, digits, dots and hyphens (no empty label) with an
 * optional port, and a path of printable ASCII without `?`, `#`, `@`, `\` or
 * `%` and without `.` or `..` segments. Anything else (a userinfo, a query, a
 * fragment, a backslash, percent-encoding, dot segments, non-ASCII
 * look-alikes) is covered by no constraint, so
 * `spiffe://acme.example#.partner.example/x`, whose URL host is acme.example,
 * cannot pass for a partner.example name, nor
 * `spiffe://acme.example/tools/../admin` for a name under `/tools/`.
 */
import { compileNamePattern } from '@blindwire/core/internal';

const PLAIN_NAME =
  /^[a-z][a-z0-9+.-]*:\/\/(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::\d{1,5})?(?:\/[!-~]*)?$/;
/** Characters a plain name's path may not hold (within printable ASCII). */
const PATH_EXCLUDED = /[?#@\\%]/;
/** A `.` or `..` path segment, which URL parsers resolve away. */
const DOT_SEGMENT = /\/\.{1,2}(?:\/|$)/;

function isPlainName(name: string): boolean {
  return PLAIN_NAME.test(name) && !PATH_EXCLUDED.test(name) && !DOT_SEGMENT.test(name);
}

/** Whether constraints `names` (undefined: none, so every name) cover `name`. */
export function namesCover(names: readonly string[] | undefined, name: string): boolean {
  if (names === undefined) return true;
  if (!isPlainName(name)) return false;
  return names.some((p) => compileNamePattern(p, 'names')(name));
}
