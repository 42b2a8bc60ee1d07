/**
 * The blindness spy of the conformance harness (the broker sees only
 * envelopes: SPEC.md §11c, hints only in headers): every 8-byte window of
 * every plaintext goes into a compact open-addressing set of 64-bit values;
 * then each raw byte string the broker stored or delivered is scanned, one
 * lookup per offset, and so are the sender names, searched whole. Runs of
 * hex (16 characters and more) and of base64 or base64url (11 and more) are
 * decoded at each alignment and searched the same way, so a plaintext that
 * travels encoded (a JSON field, a header value) is found too. A finding
 * names where and at which offset, never the matching bytes.
 */
import type { StoredMessage } from './types.js';

export const WINDOW = 8;

export interface Finding {
  where: string;
  part: 'body' | 'headers';
  offset: number;
  what: 'plaintext window' | 'sender name';
  /** Set when found in a decoded run: the offset is then the run's, in the scanned bytes. */
  encoding?: 'base64' | 'hex';
}

export interface BlindnessSpy {
  /** Scans one stored or delivered message (body and raw headers). */
  scan(message: StoredMessage): void;
  readonly findings: readonly Finding[];
  /** Messages and bytes scanned so far. */
  readonly scanned: { messages: number; bytes: number };
  /** Distinct windows held. */
  readonly windows: number;
}

/** A set of 64-bit values as two 32-bit words (hi, lo), linear probing; 0/0 marks an empty slot. */
class WindowSet {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly mask: number;
  private hasZero = false;
  size = 0;

  constructor(expected: number) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  private slot(hi: number, lo: number): number {
    const h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & this.mask;
  }

  add(hi: number, lo: number): void {
    if (hi === 0 && lo === 0) {
      if (!this.hasZero) this.size++;
      this.hasZero = true;
      return;
    }
    for (let i = this.slot(hi, lo); ; i = (i + 1) & this.mask) {
      if (this.hi[i] === 0 && this.lo[i] === 0) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.size++;
        return;
      }
      if (this.hi[i] === hi && this.lo[i] === lo) return;
    }
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) return this.hasZero;
    for (let i = this.slot(hi, lo); ; i = (i + 1) & this.mask) {
      if (this.hi[i] === 0 && this.lo[i] === 0) return false;
      if (this.hi[i] === hi && this.lo[i] === lo) return true;
    }
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const HEX = new Uint8Array(256);
const B64 = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_')
  B64[c.charCodeAt(0)] = 1;
const ENCODINGS = [
  { name: 'hex', chars: HEX, minRun: 2 * WINDOW, alignments: 2, unit: 2 },
  { name: 'base64', chars: B64, minRun: Math.ceil((WINDOW * 4) / 3), alignments: 4, unit: 4 },
] as const;

/**
 * Each maximal run of `chars` at least `minRun` long in `bytes`, decoded from
 * each alignment (Node's base64 decoder takes both alphabets).
 */
function* decodedRuns(bytes: Uint8Array): Generator<{
  encoding: 'hex' | 'base64';
  start: number;
  decoded: Uint8Array;
}> {
  for (const e of ENCODINGS) {
    for (let i = 0; i < bytes.length;) {
      if (e.chars[bytes[i]!] === 0) {
        i++;
        continue;
      }
      let end = i;
      while (end < bytes.length && e.chars[bytes[end]!] === 1) end++;
      if (end - i >= e.minRun) {
        const text = Buffer.from(bytes.buffer, bytes.byteOffset + i, end - i).toString('latin1');
        for (let a = 0; a < e.alignments; a++) {
          const usable = text.length - a - ((text.length - a) % e.unit);
          if (usable <= 0) continue;
          const decoded = Buffer.from(text.slice(a, a + usable), e.name);
          yield { encoding: e.name, start: i, decoded };
        }
      }
      i = end;
    }
  }
}

/** A spy for these plaintexts and sender names (names shorter than 8 bytes are searched whole too). */
export function createBlindnessSpy(
  plaintexts: Iterable<Uint8Array>,
  senderNames: string[],
): BlindnessSpy {
  const list = [...plaintexts];
  const total = list.reduce((n, p) => n + Math.max(0, p.length - WINDOW + 1), 0);
  const set = new WindowSet(total);
  for (const p of list) {
    const v = view(p);
    for (let i = 0; i + WINDOW <= p.length; i++) set.add(v.getUint32(i), v.getUint32(i + 4));
  }
  const names = senderNames.map((n) => new TextEncoder().encode(n));
  const findings: Finding[] = [];
  const scanned = { messages: 0, bytes: 0 };

  const scanPart = (bytes: Uint8Array, where: string, part: Finding['part']) => {
    scanned.bytes += bytes.length;
    const v = view(bytes);
    for (let i = 0; i + WINDOW <= bytes.length; i++) {
      if (set.has(v.getUint32(i), v.getUint32(i + 4)))
        findings.push({ where, part, offset: i, what: 'plaintext window' });
    }
    for (const name of names) {
      const at = indexOf(bytes, name);
      if (at >= 0) findings.push({ where, part, offset: at, what: 'sender name' });
    }
    for (const run of decodedRuns(bytes)) {
      const d = view(run.decoded);
      const at = { where, part, offset: run.start, encoding: run.encoding };
      for (let i = 0; i + WINDOW <= run.decoded.length; i++) {
        if (set.has(d.getUint32(i), d.getUint32(i + 4))) {
          findings.push({ ...at, what: 'plaintext window' });
          break; // one finding per decoded run
        }
      }
      for (const name of names)
        if (indexOf(run.decoded, name) >= 0) findings.push({ ...at, what: 'sender name' });
    }
  };

  return {
    scan(m) {
      scanned.messages++;
      scanPart(m.body, m.where, 'body');
      if (m.headers) scanPart(m.headers, m.where, 'headers');
    },
    findings,
    scanned,
    get windows() {
      return set.size;
    },
  };
}
