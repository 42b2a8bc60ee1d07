/** Byte helpers shared by the implementations and the correctness guard. */

export function concatBytes(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length)
    return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const utf8 = (s) => new TextEncoder().encode(s);

/** Deterministic filler so every implementation seals the same bytes. */
export function payloadOf(size) {
  const p = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  return p;
}

function flipMiddle(bytes) {
  const copy = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
  copy[copy.length >> 1] ^= 0x01;
  return copy;
}

const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * A copy of a sealed value with one bit of its ciphertext changed: bytes,
 * a compact JOSE string (the middle character of the longest segment, so the
 * change is never in base64url padding bits) or an object of byte fields (the
 * longest one).
 */
export function tamper(sealed) {
  if (sealed instanceof Uint8Array) return flipMiddle(sealed);
  if (sealed instanceof ArrayBuffer) return flipMiddle(new Uint8Array(sealed)).buffer;
  if (typeof sealed === 'string') {
    const segs = sealed.split('.');
    let k = 0;
    for (let i = 1; i < segs.length; i++) if (segs[i].length > segs[k].length) k = i;
    const s = segs[k];
    const m = s.length >> 1;
    const c = B64U[(B64U.indexOf(s[m]) + 1) % 64];
    segs[k] = s.slice(0, m) + c + s.slice(m + 1);
    return segs.join('.');
  }
  const key = Object.keys(sealed)
    .filter((k) => sealed[k] instanceof Uint8Array || sealed[k] instanceof ArrayBuffer)
    .sort((a, b) => sealed[b].byteLength - sealed[a].byteLength)[0];
  if (!key) throw new Error('cannot tamper with this sealed value');
  return { ...sealed, [key]: tamper(sealed[key]) };
}
