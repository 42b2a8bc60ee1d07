/**
 * The primitive types of the Kafka wire protocol, read and written
 * big-endian: Kafka protocol guide, "Protocol Primitive Types" (INT8..INT64,
 * BOOLEAN, STRING, NULLABLE_STRING, BYTES, NULLABLE_BYTES, ARRAY) and the
 * zigzag VARINT / VARLONG of the record format (Kafka documentation,
 * "Message Format", Record). Only the non-flexible encodings: every API
 * version this broker advertises predates the compact (flexible) forms.
 *
 * A read past the end, a negative length other than -1 (null), or a length
 * above what is left throws `MalformedFrame`; the server closes the socket.
 */

/** A frame or a field that does not follow the protocol; the connection is closed. */
export class MalformedFrame extends Error {
  override readonly name = 'MalformedFrame';
}

export class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number, what: string): number {
    if (n < 0 || n > this.remaining)
      throw new MalformedFrame(`${what}: needs ${n} bytes, ${this.remaining} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1, 'INT8'));
  }
  int16(): number {
    return this.buf.readInt16BE(this.take(2, 'INT16'));
  }
  int32(): number {
    return this.buf.readInt32BE(this.take(4, 'INT32'));
  }
  /** INT64 as a number; values beyond 2^53 are refused (offsets, ids and times fit). */
  int64(): number {
    const v = this.buf.readBigInt64BE(this.take(8, 'INT64'));
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new MalformedFrame(`INT64 ${v} is outside the safe integer range`);
    return Number(v);
  }
  boolean(): boolean {
    return this.int8() !== 0;
  }

  /** STRING: INT16 length then UTF-8; -1 is null (NULLABLE_STRING). */
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    const at = this.take(n, 'STRING');
    return this.buf.toString('utf8', at, at + n);
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedFrame('STRING: null where the field is not nullable');
    return s;
  }

  /** BYTES: INT32 length then the bytes (a view, not a copy); -1 is null. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    const at = this.take(n, 'BYTES');
    return this.buf.subarray(at, at + n);
  }
  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }
  raw(n: number): Buffer {
    const at = this.take(n, 'raw');
    return this.buf.subarray(at, at + n);
  }

  /** ARRAY: INT32 count then the items; -1 is null. The count is bounded by the bytes left. */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0 || n > this.remaining) throw new MalformedFrame(`ARRAY: count ${n} is not possible`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }

  /** Zigzag VARINT (32-bit) of the record format. */
  varint(): number {
    let raw = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf.readUInt8(this.take(1, 'VARINT'));
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1);
    }
    throw new MalformedFrame('VARINT longer than 5 bytes');
  }

  /** Zigzag VARLONG, as a number (record timestamp deltas fit in 2^53). */
  varlong(): number {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = BigInt(this.buf.readUInt8(this.take(1, 'VARLONG')));
      raw |= (b & 0x7fn) << shift;
      if ((b & 0x80n) === 0n) {
        const v = (raw >> 1n) ^ -(raw & 1n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
          throw new MalformedFrame('VARLONG outside the safe integer range');
        return Number(v);
      }
    }
    throw new MalformedFrame('VARLONG longer than 10 bytes');
  }

  /** Refuses bytes left over after the last field. */
  end(what: string): void {
    if (this.remaining !== 0)
      throw new MalformedFrame(`${what}: ${this.remaining} bytes after the last field`);
  }
}

export class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(v: number): this {
    const at = this.room(1);
    this.buf.writeInt8(v, at);
    return this;
  }
  int16(v: number): this {
    const at = this.room(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }
  int32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }
  int64(v: number): this {
    const at = this.room(8);
    this.buf.writeBigInt64BE(BigInt(v), at);
    return this;
  }
  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const n = Buffer.byteLength(s, 'utf8');
    this.int16(n);
    const at = this.room(n);
    this.buf.write(s, at, 'utf8');
    return this;
  }
  bytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    return this.raw(b);
  }
  raw(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  array<T>(items: readonly T[] | null, item: (w: Writer, x: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const x of items) item(this, x);
    return this;
  }
  /** Zigzag VARINT (32-bit). */
  varint(v: number): this {
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    while (z > 0x7f) {
      const at = this.room(1);
      this.buf.writeUInt8((z & 0x7f) | 0x80, at);
      z >>>= 7;
    }
    const at = this.room(1);
    this.buf.writeUInt8(z, at);
    return this;
  }
  /** Zigzag VARLONG. */
  varlong(v: number): this {
    const b = BigInt(v);
    let z = BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
    while (z > 0x7fn) {
      const at = this.room(1);
      this.buf.writeUInt8(Number(z & 0x7fn) | 0x80, at);
      z >>= 7n;
    }
    const at = this.room(1);
    this.buf.writeUInt8(Number(z), at);
    return this;
  }

  get length(): number {
    return this.pos;
  }
  /** The bytes written so far (a view). */
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
