/**
 * Stream framing (SPEC.md §7a.1, §7a.3): the start (prefix and header byte
 * string) and the chunk records that follow it, plus the incremental reader
 * the opener frames them with. The reader hands out views into the input
 * when a piece lies whole in one write, and otherwise reassembles it in one
 * reused buffer, so it never holds more than the largest record.
 */
import { encodeHead } from '../wire/cbor.js';
import { PREFIX_LENGTH, prefixFor, Kind } from '../wire/kinds.js';

/** The flag byte before each chunk record; also the nonce's last byte. */
export const ChunkFlag = {
  /** More chunks follow. */
  More: 0x00, // 0x00
  /** The last chunk: it carries the signature. */
  Final: 0x01, // 0x01
} as const;

/** The prefix and the header byte string (SPEC.md §7a.1). */
export function encodeStreamStart(header: Uint8Array): Uint8Array {
  const hh = encodeHead(2, header.length);
  const out = new Uint8Array(PREFIX_LENGTH + hh.length + header.length);
  out.set(prefixFor(Kind.Stream), 0);
  out.set(hh, PREFIX_LENGTH);
  out.set(header, PREFIX_LENGTH + hh.length);
  return out;
}

/** The flag and the byte-string head of a chunk record of `length` ciphertext bytes. */
export function recordHead(final: boolean, length: number): Uint8Array {
  const head = encodeHead(2, length);
  const out = new Uint8Array(1 + head.length);
  out[0] = final ? ChunkFlag.Final : ChunkFlag.More;
  out.set(head, 1);
  return out;
}

/** One chunk record: the flag, then the ciphertext as a CBOR byte string. */
export function encodeRecord(final: boolean, ciphertext: Uint8Array): Uint8Array {
  const head = encodeHead(2, ciphertext.length);
  const out = new Uint8Array(1 + head.length + ciphertext.length);
  out[0] = final ? ChunkFlag.Final : ChunkFlag.More;
  out.set(head, 1);
  out.set(ciphertext, 1 + head.length);
  return out;
}

const EMPTY = new Uint8Array(0);
/** The smallest reassembly buffer, so that many small writes do not grow it byte by byte. */
const MIN_BUFFER = 4096;

/** Takes exact byte counts out of a sequence of writes of any size. */
export class ByteReader {
  private input: Uint8Array = EMPTY;
  private off = 0;
  private buf: Uint8Array = EMPTY;
  private have = 0;

  /** The next write; the previous one must have been consumed. */
  feed(input: Uint8Array): void {
    this.input = input;
    this.off = 0;
  }

  /** Bytes of the current write not yet taken. */
  get left(): number {
    return this.input.length - this.off;
  }

  /**
   * The next `n` bytes, or undefined when the writes so far hold fewer (what
   * there is stays buffered for the next call with the same `n`). The view
   * is valid until the next call.
   */
  take(n: number): Uint8Array | undefined {
    if (this.have === 0 && this.left >= n) {
      const view = this.input.subarray(this.off, this.off + n);
      this.off += n;
      return view;
    }
    const k = Math.min(n - this.have, this.left);
    // The buffer grows with the bytes that arrived, not with the length a
    // record claims: a peer that names a 1 MiB record and then sends one
    // byte costs a few KiB, not 1 MiB.
    if (this.buf.length < this.have + k) {
      const grown = new Uint8Array(
        Math.min(n, Math.max(this.have + k, 2 * this.buf.length, MIN_BUFFER)),
      );
      grown.set(this.buf.subarray(0, this.have));
      this.buf.fill(0);
      this.buf = grown;
    }
    this.buf.set(this.input.subarray(this.off, this.off + k), this.have);
    this.have += k;
    this.off += k;
    if (this.have < n) return undefined;
    this.have = 0;
    return this.buf.subarray(0, n);
  }

  /** Whether a piece is partly buffered (input ended inside it). */
  get partial(): boolean {
    return this.have > 0;
  }

  /** Erases the reassembly buffer (it may have held ciphertext only, but it is cheap). */
  wipe(): void {
    this.buf.fill(0);
    this.have = 0;
    this.input = EMPTY;
  }
}
