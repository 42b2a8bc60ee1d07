/**
 * Structure-aware mutations of a CBOR encoding (RFC 8949 §3), for the
 * property tests of the fixed-layout readers against the strict decoder: each
 * one makes one of the defects SPEC.md §3.1 refuses, or a near miss of the
 * canonical layout, at a head the encoding really has (a random byte edit
 * seldom gets that far). After the review fuzzer's `structMutate`.
 */
import fc from 'fast-check';

/** One head: its offset, major type, additional information, argument and length. */
export interface Head {
  o: number;
  major: number;
  ai: number;
  arg: number;
  hl: number;
}

function headAt(b: Uint8Array, o: number): Head {
  const ib = b[o] ?? 0;
  const ai = ib & 31;
  const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
  let arg = ai < 24 ? ai : 0;
  for (let i = 0; i < n; i++) arg = arg * 256 + (b[o + 1 + i] ?? 0);
  return { o, major: ib >> 5, ai, arg, hl: 1 + n };
}

/**
 * Every head of a definite-length encoding in order, and for a top-level map
 * the span [start, end) of each entry (key and value); what follows a defect
 * is left out.
 */
export function heads(b: Uint8Array): { all: Head[]; entries: [number, number][] } {
  const all: Head[] = [];
  const walk = (o: number): number => {
    if (o >= b.length || all.length > 1000) throw new RangeError('end');
    const h = headAt(b, o);
    all.push(h);
    let p = o + h.hl;
    if (h.major === 2 || h.major === 3) return p + h.arg;
    if (h.major === 4 || h.major === 5)
      for (let i = 0; i < h.arg * (h.major === 5 ? 2 : 1); i++) p = walk(p);
    if (h.major === 6) p = walk(p);
    return p;
  };
  const entries: [number, number][] = [];
  try {
    const top = headAt(b, 0);
    all.push(top);
    let p = top.hl;
    if (top.major !== 5) walk(0);
    else
      for (let i = 0; i < top.arg; i++) {
        const start = p;
        p = walk(walk(p));
        entries.push([start, p]);
      }
  } catch {
    // a truncated or defective encoding: the heads found so far
  }
  return { all, entries };
}

const cat = (...xs: Uint8Array[]) => {
  const out = new Uint8Array(xs.reduce((s, x) => s + x.length, 0));
  let k = 0;
  for (const x of xs) {
    out.set(x, k);
    k += x.length;
  }
  return out;
};

/** `b` with head `h` re-encoded with a `to`-byte argument (1, 2, 4 or 8): non-shortest when it fits in less. */
export function widen(b: Uint8Array, h: Head, to: 1 | 2 | 4 | 8): Uint8Array {
  const ai = to === 1 ? 24 : to === 2 ? 25 : to === 4 ? 26 : 27;
  const hd = new Uint8Array(1 + to);
  hd[0] = (h.major << 5) | ai;
  let v = h.arg;
  for (let i = to; i >= 1; i--) {
    hd[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return cat(b.subarray(0, h.o), hd, b.subarray(h.o + h.hl));
}

/** A structure-aware mutation: which kind, which head or entry (`at`, `to` modulo their count), and a value. */
export const structMutation = fc.record({
  op: fc.constantFrom(
    'widen',
    'indefinite',
    'tag',
    'count',
    'major',
    'key',
    'swap',
    'duplicate',
    'trailing',
    'special',
  ),
  at: fc.nat(),
  to: fc.nat(),
  v: fc.nat({ max: 255 }),
});
export type StructMutation = typeof structMutation extends fc.Arbitrary<infer T> ? T : never;

const SPECIAL = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x5f, 0x7f, 0x80, 0x9f, 0xa7, 0xa8, 0xbf, 0xf4,
  0xf6, 0xf7, 0xf9, 0xff,
];

/** `b` after mutation `m` (unchanged when `b` has no head of the kind `m` needs). */
export function structMutate(b: Uint8Array, m: StructMutation): Uint8Array {
  const { all, entries } = heads(b);
  if (all.length === 0 || b.length === 0) return cat(b, Uint8Array.of(m.v));
  const h = all[m.at % all.length]!;
  switch (m.op) {
    case 'widen': // every width, shortest or not (SPEC.md §3.1: shortest only)
      return h.ai > 27 ? b : widen(b, h, ([1, 2, 4, 8] as const)[m.v % 4]!);
    case 'indefinite': {
      // a definite string, array or map made indefinite, with its break byte
      if (h.major < 2 || h.major > 5) return widen(b, h, 1);
      return cat(
        b.subarray(0, h.o),
        Uint8Array.of((h.major << 5) | 31),
        b.subarray(h.o + h.hl),
        Uint8Array.of(0xff),
      );
    }
    case 'tag': // a tag (major type 6) before the item
      return cat(b.subarray(0, h.o), Uint8Array.of(0xc0 | (m.v % 24)), b.subarray(h.o));
    case 'count': {
      // a length or count one more or one less
      const c = b.slice();
      c[h.o] = (c[h.o]! & 0xe0) | ((h.ai + (m.v % 2 ? 1 : 31)) & 31);
      return c;
    }
    case 'major': {
      const c = b.slice();
      c[h.o] = ((m.v % 8) << 5) | (c[h.o]! & 31);
      return c;
    }
    case 'key': {
      // a top-level key rewritten: duplicate, misordered or unknown (0-13)
      if (entries.length === 0) return b;
      const c = b.slice();
      c[entries[m.at % entries.length]![0]] = m.v % 14;
      return c;
    }
    case 'swap': {
      // two top-level entries exchanged: keys out of order
      if (entries.length < 2) return b;
      const i = m.at % entries.length;
      let j = m.to % entries.length;
      if (i === j) j = (i + 1) % entries.length;
      const [x, y] = i < j ? [entries[i]!, entries[j]!] : [entries[j]!, entries[i]!];
      return cat(
        b.subarray(0, x[0]),
        b.subarray(...y),
        b.subarray(x[1], y[0]),
        b.subarray(...x),
        b.subarray(y[1]),
      );
    }
    case 'duplicate': {
      // one entry written twice (the map count raised to match when it can be)
      if (entries.length === 0) return b;
      const e = entries[m.at % entries.length]!;
      const out = cat(b.subarray(0, e[1]), b.subarray(...e), b.subarray(e[1]));
      if ((out[0]! & 31) < 23) out[0]!++;
      return out;
    }
    case 'trailing':
      return cat(b, Uint8Array.of(m.v));
    case 'special': {
      // a break, undefined, float, indefinite or map head written in place
      const c = b.slice();
      c[h.o] = SPECIAL[m.v % SPECIAL.length]!;
      return c;
    }
  }
}
