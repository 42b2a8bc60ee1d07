/** The storage key of a record (SPEC.md §11.5): hex of the first 16 bytes of SHA-256(record). */
import { sha256 } from '../crypto.js';

/** A record's id: the first 16 bytes of the SHA-256 of its bytes, in hex (SPEC.md §11.1). */
export function recordId(record: Uint8Array): string {
  const h = sha256(record).subarray(0, 16);
  let s = '';
  for (const x of h) s += x.toString(16).padStart(2, '0');
  return s;
}
