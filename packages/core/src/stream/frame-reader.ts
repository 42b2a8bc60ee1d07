/**
 * The framing of a stream as it arrives (SPEC.md §7a.5 steps 2, 3, 7, 11
 * and the framing half of 12): a state machine over writes of any size that
 * checks the prefix, the header's byte-string head and each record's flag and
 * head, and hands the header and each record's ciphertext to the opener. It
 * uses no key: its errors are parse errors and may be specific.
 */
import { BlindwireError, ErrorCode, openFailed } from '../errors.js';
import { readHead } from '../wire/cbor.js';
import { Kind, MAGIC_0, MAGIC_1, PREFIX_LENGTH, VERSION } from '../wire/kinds.js';
import { SIGNATURE_LENGTH, TAG_LENGTH } from '../wire/stream-keys.js';
import { ChunkFlag } from '../wire/stream-records.js';
import { ByteReader } from './byte-reader.js';

/**
 * What the opener does with the pieces the reader frames. Both methods must
 * return a promise (be `async`): the reader chains on it with `.then`, so a
 * synchronous implementation would throw a TypeError instead of its
 * BlindwireError.
 */
export interface FrameHandler {
  /** The prefix and a copy of the header bytes; returns the header's chunk size. */
  onHeader(prefix: Uint8Array, header: Uint8Array): Promise<number>;
  /** One record's ciphertext (a view, valid until the next write). */
  onRecord(ciphertext: Uint8Array, final: boolean): Promise<void>;
}

const Step = {
  Prefix: 0,
  HeaderHead: 1,
  HeaderArg: 2,
  Header: 3,
  Flag: 4,
  RecordHead: 5,
  RecordArg: 6,
  Record: 7,
  Done: 8,
} as const;
type Step = (typeof Step)[keyof typeof Step];

export function malformedStream(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed stream: ${what}`);
}

/** Bytes after the initial byte of a CBOR head (SPEC.md §3.1 rule 1: no indefinite lengths). */
function argumentLength(initial: number): number {
  const ai = initial & 0x1f;
  if (ai < 24) return 0;
  if (ai > 27)
    throw malformedStream(ai === 31 ? 'indefinite length' : 'reserved additional information');
  return 1 << (ai - 24);
}

export class FrameReader {
  private readonly r = new ByteReader();
  private step: Step = Step.Prefix;
  /** The CBOR head being read: initial byte and argument. */
  private readonly head = new Uint8Array(9);
  private argLength = 0;
  private length = 0;
  private final = false;
  private prefix: Uint8Array = new Uint8Array(0);
  private chunkSize = 0;

  constructor(
    private readonly maxHeaderBytes: number,
    private readonly handler: FrameHandler,
  ) {}

  /**
   * Frames one write, handing on every piece it completes. Only the steps
   * that call the opener return a promise: the flag and head steps of each
   * record run without one.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.r.feed(chunk);
    for (;;) {
      const more = this.next();
      if (!(typeof more === 'boolean' ? more : await more)) return;
    }
  }

  /**
   * SPEC.md §7a.5 step 12: the input ended. Before the header is complete the
   * bytes are not a stream; after it, an ending without the final record is a
   * truncation, an integrity failure.
   */
  end(): void {
    if (this.step !== Step.Done)
      throw this.step <= Step.Header ? malformedStream('truncated') : openFailed();
  }

  wipe(): void {
    this.r.wipe();
  }

  /** One step of the state machine; false when it needs more input. */
  private next(): boolean | Promise<boolean> {
    switch (this.step) {
      case Step.Prefix:
        return this.readPrefix();
      case Step.HeaderHead:
      case Step.RecordHead: {
        const ib = this.r.take(1);
        if (!ib) return false;
        this.head[0] = ib[0]!;
        this.argLength = argumentLength(ib[0]!);
        this.step = this.step === Step.HeaderHead ? Step.HeaderArg : Step.RecordArg;
        return true;
      }
      case Step.HeaderArg:
        return this.readHeaderLength();
      case Step.Header: {
        const h = this.r.take(this.length);
        if (!h) return false;
        // a copy: the decoded header holds views into it
        return this.handler.onHeader(this.prefix, h.slice()).then((chunkSize) => {
          this.chunkSize = chunkSize;
          this.step = Step.Flag;
          return true;
        });
      }
      case Step.Flag:
        return this.readFlag();
      case Step.RecordArg:
        return this.readRecordLength();
      case Step.Record: {
        const ct = this.r.take(this.length);
        if (!ct) return false;
        return this.handler.onRecord(ct, this.final).then(() => {
          this.step = this.final ? Step.Done : Step.Flag;
          return true;
        });
      }
      case Step.Done:
        // SPEC.md §7a.5 step 11.
        if (this.r.left > 0) throw malformedStream('trailing bytes after the final chunk');
        return false;
    }
  }

  /** SPEC.md §7a.5 step 2. */
  private readPrefix(): boolean {
    const p = this.r.take(PREFIX_LENGTH);
    if (!p) return false;
    if (p[0] !== MAGIC_0 || p[1] !== MAGIC_1) throw malformedStream('bad magic');
    if (p[2] !== VERSION)
      throw new BlindwireError(
        ErrorCode.UnsupportedVersion,
        `unsupported envelope version ${p[2]}`,
      );
    if (p[3] !== Kind.Stream) throw malformedStream(`expected kind ${Kind.Stream}, got ${p[3]}`);
    this.prefix = p.slice();
    this.step = Step.HeaderHead;
    return true;
  }

  /** SPEC.md §7a.5 step 3. */
  private readHeaderLength(): boolean {
    const length = this.readArgument();
    if (length === undefined) return false;
    if (length > this.maxHeaderBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `header of ${length} bytes exceeds maxHeaderBytes ${this.maxHeaderBytes}`,
      );
    }
    this.length = length;
    this.step = Step.Header;
    return true;
  }

  /** SPEC.md §7a.5 step 7: the flag. */
  private readFlag(): boolean {
    const f = this.r.take(1);
    if (!f) return false;
    if (f[0] !== ChunkFlag.More && f[0] !== ChunkFlag.Final)
      throw malformedStream('chunk flag must be 0 or 1');
    this.final = f[0] === ChunkFlag.Final;
    this.step = Step.RecordHead;
    return true;
  }

  /** SPEC.md §7a.5 step 7: the record's length for its flag. */
  private readRecordLength(): boolean {
    const length = this.readArgument();
    if (length === undefined) return false;
    const size = this.chunkSize;
    const ok = this.final
      ? length >= TAG_LENGTH + SIGNATURE_LENGTH &&
        length <= size - 1 + SIGNATURE_LENGTH + TAG_LENGTH
      : length === size + TAG_LENGTH;
    if (!ok) throw malformedStream(`chunk record of ${length} bytes`);
    this.length = length;
    this.step = Step.Record;
    return true;
  }

  /** The argument of a byte-string head whose initial byte is in `head[0]`. */
  private readArgument(): number | undefined {
    const a = this.r.take(this.argLength);
    if (!a) return undefined;
    this.head.set(a, 1);
    const [major, length] = readHead(this.head.subarray(0, 1 + this.argLength), 0); // shortest form
    if (major !== 2)
      throw malformedStream(
        this.step === Step.HeaderArg
          ? 'header must be a byte string'
          : 'chunk must be a byte string',
      );
    return length;
  }
}
