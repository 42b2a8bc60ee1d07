/**
 * HKDF-SHA256 (RFC 5869; HPKE KDF id 0x0001, RFC 9180 §7.2) and the labeled
 * wrappers LabeledExtract / LabeledExpand of RFC 9180 §4, on the backend's
 * HMAC-SHA256. Callers precompute each label prefix
 * ("HPKE-v1" || suite_id || label) once with `labelPrefix`.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, utf8, wipe } from '../bytes.js';
import { invalidArgument } from '../errors.js';

/** Nh of HKDF-SHA256 (RFC 9180 §7.2, Table 3). */
export const NH = 32;
/** The largest L Expand can produce: 255 * Nh (RFC 5869 §2.3, RFC 9180 §5.3). */
export const MAX_EXPAND_LENGTH = 255 * NH;

const HPKE_V1 = utf8('HPKE-v1'); // RFC 9180 §4
/**
 * An absent salt is Nh zero bytes (RFC 5869 §2.2). HMAC gives the same result
 * for an empty key, but passing the zeros keeps HMAC keys non-empty, which
 * WebCrypto requires.
 */
const ZERO_SALT = new Uint8Array(NH);

/** "HPKE-v1" || suite_id || label, the fixed part of every labeled input (RFC 9180 §4). */
export function labelPrefix(suiteId: Uint8Array, label: string): Uint8Array {
  return concat(HPKE_V1, suiteId, utf8(label));
}

/**
 * LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)
 * (RFC 9180 §4), with `prefix` from `labelPrefix`. The labeled ikm is wiped.
 */
export async function labeledExtract(
  backend: CryptoBackend,
  salt: Uint8Array,
  prefix: Uint8Array,
  ikm: Uint8Array,
): Promise<Uint8Array> {
  const labeledIkm = concat(prefix, ikm); // RFC 9180 §4
  try {
    return await backend.hmacSha256(salt.length === 0 ? ZERO_SALT : salt, labeledIkm); // RFC 5869 §2.2
  } finally {
    wipe(labeledIkm);
  }
}

/**
 * LabeledExpand(prk, label, info, L) =
 * Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L) (RFC 9180 §4).
 * One buffer holds T(i-1) || labeled_info || i; L ≤ Nh costs one HMAC.
 */
export async function labeledExpand(
  backend: CryptoBackend,
  prk: Uint8Array,
  prefix: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 0 || length > MAX_EXPAND_LENGTH) {
    throw invalidArgument('length', `an integer from 0 to ${MAX_EXPAND_LENGTH}`, String(length));
  }
  const buf = new Uint8Array(NH + 2 + prefix.length + info.length + 1);
  buf[NH] = length >>> 8; // RFC 9180 §4: I2OSP(L, 2)
  buf[NH + 1] = length & 0xff;
  buf.set(prefix, NH + 2);
  buf.set(info, NH + 2 + prefix.length);
  const last = buf.length - 1;
  buf[last] = 1;
  const first = await backend.hmacSha256(prk, buf.subarray(NH)); // RFC 5869 §2.3: T(1)
  if (length === NH) return first;
  if (length < NH) {
    const out = first.slice(0, length);
    wipe(first);
    return out;
  }
  const out = new Uint8Array(length);
  out.set(first);
  let t = first;
  for (let i = 2, offset = NH; offset < length; i++, offset += NH) {
    buf.set(t, 0); // RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) || info || i)
    buf[last] = i;
    wipe(t);
    t = await backend.hmacSha256(prk, buf);
    out.set(length - offset >= NH ? t : t.subarray(0, length - offset), offset);
  }
  wipe(t, buf);
  return out;
}
