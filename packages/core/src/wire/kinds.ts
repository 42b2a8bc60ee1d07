/**
 * The registry of Blindwire wire kinds (SPEC.md §3, §11): every signed or
 * sealed object starts with the same 4-byte prefix, magic "BW", the format
 * version and a kind byte. Envelopes use kinds 0x01-0x03 (SPEC.md §3, §6,
 * §7a); the directory's signed records use 0x10-0x12 (SPEC.md §11); objects
 * kept at rest by one endpoint use 0x20 and up (SPEC.md §11a). One file, so
 * no two objects can ever share a kind.
 */

/** "BW" then the format version. */
export const MAGIC_0 = 0x42; // 'B'
export const MAGIC_1 = 0x57; // 'W'
export const VERSION = 0x01; // 0x01

/** The length of the prefix: magic, version, kind. */
export const PREFIX_LENGTH = 4;

/** The fourth byte of an envelope: what it carries (SPEC.md §3). */
export const Kind = {
  /** A sealed message (SPEC.md §4). */
  Message: 0x01, // 0x01
  /** A response sealed under a request's exporter secret (SPEC.md §6). */
  Response: 0x02, // 0x02
  /** A chunked stream (SPEC.md §7a); framed by `stream/`, never by parseFrame. */
  Stream: 0x03, // 0x03
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The fourth byte of a directory record (SPEC.md §11): what it signs. */
export const RecordKind = {
  /** A trust anchor certifies an identity's signing key. */
  IdentityCertificate: 0x10, // 0x10
  /** An identity's signing key binds an encryption key. */
  EncryptionKey: 0x11, // 0x11
  /** An anchor or the identity revokes a key. */
  Revocation: 0x12, // 0x12
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** The fourth byte of an object one endpoint keeps at rest (SPEC.md §11a): never an envelope. */
export const StateKind = {
  /** A requester's response state, sealed to its own key (SPEC.md §11a). */
  ResponseState: 0x20, // 0x20
} as const;
export type StateKind = (typeof StateKind)[keyof typeof StateKind];

/** The 4-byte prefix of an envelope, a directory record or a kept state of `kind`. */
export function prefixFor(kind: Kind | RecordKind | StateKind): Uint8Array {
  return Uint8Array.of(MAGIC_0, MAGIC_1, VERSION, kind);
}
