/**
 * The record prefix and kinds (SPEC.md §11.1): every record starts
 * `"B" "W" 0x01 kind`, the same magic and version as envelopes, with the
 * record kinds 0x10-0x12. They come from core's one registry of wire kinds
 * (`@blindwire/core/internal`), so that no record kind can collide with an
 * envelope kind; every other directory module imports them from here.
 */
import { MAGIC_0, MAGIC_1, VERSION, RecordKind, prefixFor } from '@blindwire/core/internal';

export { MAGIC_0, MAGIC_1, VERSION, RecordKind, prefixFor };

/** Whether `bytes` starts with the magic and version (any kind). */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === MAGIC_0 && bytes[1] === MAGIC_1 && bytes[2] === VERSION;
}
