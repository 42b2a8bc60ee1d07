/**
 * The identity-name grammar (SPEC.md §10), written once: `seal` (the sender
 * name), `open` (pinned senders, and the sender name inside the ciphertext),
 * `generateIdentity`, the identity documents and the directory (records and
 * lookups) all call it, so a name one of them accepts is a name all of them
 * accept.
 */
import { utf8 } from '../bytes.js';
import { invalidArgument, shown } from '../errors.js';
import { INVISIBLE_CHARACTERS } from './invisible.js';

/** SPEC.md §10: an identity name is at most this many UTF-8 bytes. */
export const MAX_IDENTITY_NAME_BYTES = 1024;

/**
 * SPEC.md §10 `scheme ":"` (RFC 3986 §3.1) and at least one character after
 * it. A test, not an exec: no match array per name.
 */
const SCHEME_AND_MORE = /^[A-Za-z][A-Za-z0-9+.-]*:[\s\S]/;

/** SPEC.md §10: the characters a name never holds (invisible.ts). */
const EXCLUDED = new RegExp(`[${INVISIBLE_CHARACTERS}]`, 'u');

/** A lone UTF-16 surrogate: not a Unicode scalar value, so no UTF-8 (SPEC.md §10). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What makes `name` not an identity name (SPEC.md §10), or undefined when it is one. */
function nameDefect(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'not a string';
  if (LONE_SURROGATE.test(name)) return 'a lone UTF-16 surrogate (no UTF-8 encoding)';
  if (name.length === 0) return 'empty';
  // At most 3 UTF-8 bytes per UTF-16 unit: a short name is not encoded to be measured.
  if (name.length * 3 > MAX_IDENTITY_NAME_BYTES && utf8(name).length > MAX_IDENTITY_NAME_BYTES)
    return `more than ${MAX_IDENTITY_NAME_BYTES} bytes of UTF-8`;
  if (!SCHEME_AND_MORE.test(name)) return 'not a URI (scheme ":" and more)';
  if (EXCLUDED.test(name)) return 'a control, space, line break or invisible format character';
  return undefined;
}

/** Whether `name` follows the identity-name grammar of SPEC.md §10. */
export function isIdentityName(name: unknown): name is string {
  return nameDefect(name) === undefined;
}

/**
 * SPEC.md §10: `name` is an identity name, else ERR_INVALID_ARGUMENT naming
 * `param`, the value (cut short, escaped) and what is wrong with it.
 */
export function assertIdentityName(name: unknown, param = 'name'): asserts name is string {
  const defect = nameDefect(name);
  if (defect !== undefined) {
    throw invalidArgument(
      param,
      `a URI such as spiffe://example.org/agent (an identity name: 1 to ${MAX_IDENTITY_NAME_BYTES} bytes, without controls, spaces, line breaks or invisible format characters)`,
      `${shown(name)}: ${defect}`,
    );
  }
}
