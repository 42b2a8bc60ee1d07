/**
 * The record prefix and kinds (SPEC.md §11.1): every record starts
 * `"B" "W" 0x01 kind`, the same magic and version as envelopes, with the
 * record kinds 0x10-0x12. The one definition in the directory: every other
 * module imports them from here.
 */
// TODO(wire-kinds): import from @blindwire/core/internal (MAGIC_0, MAGIC_1,
// VERSION, RecordKind, prefixFor) once core's wire/kinds.ts registry lands.

/** "B" */
export const MAGIC_0 = 0x42;
/** "W" */
export const MAGIC_1 = 0x57;
/** Wire version 1. */
export const VERSION = 0x01;

export const RecordKind = {
  /** A trust anchor certifies an identity's signing key. */
  IdentityCertificate: 0x10, // 0x10
  /** An identity's signing key binds an encryption key. */
  EncryptionKey: 0x11, // 0x11
  /** An anchor or the identity revokes a key. */
  Revocation: 0x12, // 0x12
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** The 4-byte prefix `0x42 0x57 0x01 kind` of a record of `kind`. */
export function prefixFor(kind: number): Uint8Array {
  return Uint8Array.of(MAGIC_0, MAGIC_1, VERSION, kind);
}

/** Whether `bytes` starts with the magic and version (any kind). */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === MAGIC_0 && bytes[1] === MAGIC_1 && bytes[2] === VERSION;
}
