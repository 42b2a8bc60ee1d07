/**
 * The context sequence number and nonce computation of RFC 9180 §5.2.
 * seq is held in three 32-bit words, so it counts exactly up to
 * 2^(8*Nn) - 1 = 2^96 - 1 for the Nn = 12 AEADs without bigint arithmetic
 * on the hot path.
 */

const MASK32 = 0xffffffff;
/** Nn of every AEAD with Seal/Open here (RFC 9180 §7.3). */
const NN = 12;
const MAX_SEQ = (1n << BigInt(8 * NN)) - 1n;

export class Sequence {
  #hi = 0;
  #mid = 0;
  #lo = 0;

  /**
   * RFC 9180 §5.2 IncrementSeq: a context whose seq ≥ 2^(8*Nn) - 1 can no
   * longer be used, because IncrementSeq would raise.
   */
  get exhausted(): boolean {
    return this.#lo === MASK32 && this.#mid === MASK32 && this.#hi === MASK32;
  }

  /** RFC 9180 §5.2 IncrementSeq (the caller checks `exhausted` first). */
  increment(): void {
    if (this.#lo !== MASK32) {
      this.#lo++;
      return;
    }
    this.#lo = 0;
    if (this.#mid !== MASK32) {
      this.#mid++;
      return;
    }
    this.#mid = 0;
    this.#hi++;
  }

  /** RFC 9180 §5.2 ComputeNonce: base_nonce XOR I2OSP(seq, Nn), in a new array. */
  nonce(baseNonce: Uint8Array): Uint8Array {
    const n = baseNonce.slice();
    xorWord(n, NN - 4, this.#lo);
    xorWord(n, NN - 8, this.#mid);
    xorWord(n, NN - 12, this.#hi);
    return n;
  }

  /** The current seq (for tests and diagnostics). */
  get value(): bigint {
    return (BigInt(this.#hi) << 64n) | (BigInt(this.#mid) << 32n) | BigInt(this.#lo);
  }

  /** Sets seq (test hook only; see testing.ts). */
  set value(seq: bigint) {
    if (seq < 0n || seq > MAX_SEQ) throw new RangeError('sequence number out of range');
    this.#hi = Number((seq >> 64n) & 0xffffffffn);
    this.#mid = Number((seq >> 32n) & 0xffffffffn);
    this.#lo = Number(seq & 0xffffffffn);
  }
}

function xorWord(b: Uint8Array, offset: number, w: number): void {
  b[offset] = b[offset]! ^ (w >>> 24);
  b[offset + 1] = b[offset + 1]! ^ ((w >>> 16) & 0xff);
  b[offset + 2] = b[offset + 2]! ^ ((w >>> 8) & 0xff);
  b[offset + 3] = b[offset + 3]! ^ (w & 0xff);
}
