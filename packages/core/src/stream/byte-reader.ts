/**
 * The incremental reader a stream opener frames its input with (SPEC.md
 * §7a.5: a record may be split anywhere). It hands out views into the input
 * when a piece lies whole in one write, and otherwise reassembles it in one
 * reused buffer, so it never holds more than the largest record (§7a.7).
 */
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
