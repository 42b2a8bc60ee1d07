/**
 * The characters an identity name never holds (SPEC.md §10), written once:
 * the name grammar (name.ts) refuses them, and argument errors (errors.ts
 * `shown`) escape them, so that a name or a caller's string reads the same in
 * a log line, a terminal and an allow-list.
 */

/**
 * SPEC.md §10, as the body of a regular-expression character class for the
 * `u` flag: every control (Cc), format character (Cf: bidirectional marks,
 * embeddings, overrides and isolates, zero-width characters, the byte order
 * mark, tag characters) and separator (Z: every space, U+0020 included, and
 * the line and paragraph separators); and characters that draw nothing but
 * are of other categories: the combining grapheme joiner U+034F, the variation
 * selectors U+FE00-U+FE0F and U+E0100-U+E01EF, the Hangul fillers U+115F,
 * U+1160, U+3164 and U+FFA0, the whole tag block U+E0000-U+E007F, and the
 * unassigned code points of U+2060-U+206F. The ranges of the first version of
 * this list stay, whatever category a Unicode version gives them.
 */
export const INVISIBLE_CHARACTERS =
  '\\p{Cc}\\p{Cf}\\p{Z}' +
  '\\u034f\\u115f\\u1160\\u3164\\uffa0\\ufe00-\\ufe0f\\u{e0000}-\\u{e007f}\\u{e0100}-\\u{e01ef}' +
  '\\u00a0\\u00ad\\u061c\\u1680\\u180e\\u2000-\\u200f\\u2028-\\u202f\\u205f-\\u206f\\u3000\\ufeff\\ufff9-\\ufffb';
