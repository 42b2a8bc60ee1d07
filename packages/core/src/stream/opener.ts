/**
 * The opener of a stream (SPEC.md §7a.5): a framing state machine over
 * writes of any size, then each chunk's checks in the order they run.
 */
import { addOptionalInfo, commonInfo } from '../envelope/inspect.js';
import { checkReplay } from '../envelope/replay.js';
import { equalBytes, toBase64url, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, openFailed } from '../errors.js';
import { readHead } from '../wire/cbor.js';
import { MAGIC_0, MAGIC_1, PREFIX_LENGTH, VERSION, Kind } from '../wire/kinds.js';
import { decodeStreamHeader, type StreamHeader } from '../wire/header.js';
import { contextCheck } from '../wire/keys.js';
import { checkTimes, nowMs } from '../envelope/options.js';
import { suiteFromIds, type EnvelopeSuite } from '../wire/suites.js';
import type { CryptoBackend, Sha256Hash } from '../backend/types.js';
import { findEntry, trustedKey, type checkRecipientKeys } from '../envelope/arguments.js';
import { recipientSecrets } from '../wire/recipient.js';
import { alreadyFailed, type ChannelSink, type Push } from './channel.js';
import {
  SIGNATURE_LENGTH,
  TAG_LENGTH,
  chunkNonce,
  createSha256,
  decodeMeta,
  deriveStreamKeys,
  streamHeaderSignatureInput,
  streamSignatureInput,
} from './keys.js';
import type { StreamLimits } from './limits.js';
import type { OpenStreamOptions, OpenStreamResult, StreamInfo } from './open-stream.js';
import { ByteReader, ChunkFlag } from './records.js';

export interface OpenParams {
  options: OpenStreamOptions;
  b: CryptoBackend;
  limits: StreamLimits;
  context: Uint8Array;
  keys: ReturnType<typeof checkRecipientKeys>;
  allowed: ((name: string) => boolean) | undefined;
  skew: number;
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

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed stream: ${what}`);
}

/** Bytes after the initial byte of a CBOR head (SPEC.md §3.1 rule 1: no indefinite lengths). */
function argumentLength(initial: number): number {
  const ai = initial & 0x1f;
  if (ai < 24) return 0;
  if (ai > 27) throw malformed(ai === 31 ? 'indefinite length' : 'reserved additional information');
  return 1 << (ai - 24);
}

export class StreamOpener implements ChannelSink<OpenStreamResult> {
  private push!: Push;
  private readonly r = new ByteReader();
  private step: Step = Step.Prefix;
  /** The CBOR head being read: initial byte and argument. */
  private readonly head = new Uint8Array(9);
  private argLength = 0;
  private length = 0;
  private final = false;
  private prefix: Uint8Array = new Uint8Array(0);
  private header!: StreamHeader;
  private info!: StreamInfo;
  private suite!: EnvelopeSuite;
  private key: Uint8Array = new Uint8Array(0);
  private contextKey: Uint8Array = new Uint8Array(0);
  /** Set by dispose(): keys derived after it (a cancel during the key schedule) are wiped at once. */
  private disposed = false;
  private headerHash: Uint8Array = new Uint8Array(0);
  private readonly hash: Sha256Hash;
  private index = 0;
  private sender = '';
  private senderKid: Uint8Array = new Uint8Array(0);
  private senderKey: Uint8Array = new Uint8Array(0);
  private tail: Uint8Array = new Uint8Array(0);
  private bodyBytes = 0;
  private streamBytes = 0;

  constructor(private readonly p: OpenParams) {
    this.hash = createSha256(p.b);
  }

  async start(push: Push): Promise<void> {
    this.push = push;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array))
      throw invalidArgument('chunk', 'a Uint8Array', typeof chunk);
    // SPEC.md §7a.5 step 1: the size limit, on every byte as it arrives.
    this.streamBytes += chunk.length;
    if (this.streamBytes > this.p.limits.maxStreamBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `stream exceeds maxStreamBytes ${this.p.limits.maxStreamBytes}`,
      );
    }
    this.r.feed(chunk);
    while (await this.next());
  }

  /** SPEC.md §7a.5 steps 11-12: the input must end right after the final chunk. */
  async close(): Promise<OpenStreamResult> {
    if (this.step !== Step.Done) {
      // Before the header is complete the bytes are not a stream; after it, an
      // ending without the final chunk is a truncation, an integrity failure.
      throw this.step <= Step.Header ? malformed('truncated') : openFailed();
    }
    // SPEC.md §7a.5 step 12: the replay guard again, as the stream completes: a
    // copy held back after record 0 until the original was processed is a replay.
    const { replay } = this.p.options;
    await checkReplay(replay, this.info.messageId, this.sender);
    const tail = this.tail; // the consumer's now: not erased by dispose()
    this.tail = new Uint8Array(0);
    this.dispose();
    if (tail.length > 0) await this.push(tail, false);
    const result: OpenStreamResult = {
      sender: this.sender,
      senderKid: toBase64url(this.senderKid),
      messageId: this.info.messageId,
      header: this.info,
      bodyBytes: this.bodyBytes,
      streamBytes: this.streamBytes,
    };
    if (this.header.contentType !== undefined) result.contentType = this.header.contentType;
    return result;
  }

  dispose(): void {
    this.disposed = true;
    wipe(this.key, this.contextKey, this.tail);
    this.tail = new Uint8Array(0);
    this.r.wipe();
  }

  /** One step of the framing state machine; false when it needs more input. */
  private async next(): Promise<boolean> {
    const r = this.r;
    switch (this.step) {
      case Step.Prefix: {
        const p = r.take(PREFIX_LENGTH);
        if (!p) return false;
        // SPEC.md §7a.5 step 2.
        if (p[0] !== MAGIC_0 || p[1] !== MAGIC_1) throw malformed('bad magic');
        if (p[2] !== VERSION)
          throw new BlindwireError(
            ErrorCode.UnsupportedVersion,
            `unsupported envelope version ${p[2]}`,
          );
        if (p[3] !== Kind.Stream) throw malformed(`expected kind ${Kind.Stream}, got ${p[3]}`);
        this.prefix = p.slice();
        this.step = Step.HeaderHead;
        return true;
      }
      case Step.HeaderHead:
      case Step.RecordHead: {
        const ib = r.take(1);
        if (!ib) return false;
        this.head[0] = ib[0]!;
        this.argLength = argumentLength(ib[0]!);
        this.step = this.step === Step.HeaderHead ? Step.HeaderArg : Step.RecordArg;
        return true;
      }
      case Step.HeaderArg: {
        const length = this.readArgument();
        if (length === undefined) return false;
        // SPEC.md §7a.5 step 3.
        if (length > this.p.limits.maxHeaderBytes) {
          throw new BlindwireError(
            ErrorCode.LimitExceeded,
            `header of ${length} bytes exceeds maxHeaderBytes ${this.p.limits.maxHeaderBytes}`,
          );
        }
        this.length = length;
        this.step = Step.Header;
        return true;
      }
      case Step.Header: {
        const h = r.take(this.length);
        if (!h) return false;
        await this.begin(h.slice()); // a copy: the decoded header holds views into it
        this.step = Step.Flag;
        return true;
      }
      case Step.Flag: {
        const f = r.take(1);
        if (!f) return false;
        // SPEC.md §7a.5 step 7.
        if (f[0] !== ChunkFlag.More && f[0] !== ChunkFlag.Final)
          throw malformed('chunk flag must be 0 or 1');
        this.final = f[0] === ChunkFlag.Final;
        this.step = Step.RecordHead;
        return true;
      }
      case Step.RecordArg: {
        const length = this.readArgument();
        if (length === undefined) return false;
        const size = this.header.chunkSize;
        const ok = this.final
          ? length >= TAG_LENGTH + SIGNATURE_LENGTH &&
            length <= size - 1 + SIGNATURE_LENGTH + TAG_LENGTH
          : length === size + TAG_LENGTH;
        if (!ok) throw malformed(`chunk record of ${length} bytes`);
        this.length = length;
        this.step = Step.Record;
        return true;
      }
      case Step.Record: {
        const ct = r.take(this.length);
        if (!ct) return false;
        await this.openChunk(ct);
        this.step = this.final ? Step.Done : Step.Flag;
        return true;
      }
      case Step.Done:
        if (r.left > 0) throw malformed('trailing bytes after the final chunk');
        return false;
    }
  }

  /** The argument of a byte-string head whose initial byte is in `head[0]`. */
  private readArgument(): number | undefined {
    const a = this.r.take(this.argLength);
    if (!a) return undefined;
    this.head.set(a, 1);
    const [major, length] = readHead(this.head.subarray(0, 1 + this.argLength), 0); // shortest form
    if (major !== 2)
      throw malformed(
        this.step === Step.HeaderArg
          ? 'header must be a byte string'
          : 'chunk must be a byte string',
      );
    return length;
  }

  /** SPEC.md §7a.5 steps 4-6: header, suite, time, our key, key schedule, commitment. */
  private async begin(bytes: Uint8Array): Promise<void> {
    const { options, b, limits } = this.p;
    const h = decodeStreamHeader(bytes, limits);
    if (h.chunkSize > limits.maxChunkBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `chunk size ${h.chunkSize} exceeds maxChunkBytes ${limits.maxChunkBytes}`,
      );
    }
    const suite = suiteFromIds(h.suite, options.allowedSuites);
    checkTimes(
      h.issuedAt,
      h.expiresAt,
      Math.floor(nowMs(options.now) / 1000),
      this.p.skew,
      options.maxAge,
    );
    const { entry, key } = findEntry(h, this.p.keys);
    const ms = (await recipientSecrets(b, suite, entry, key, false)).messageSecret;
    const keys = await deriveStreamKeys(b, ms, suite.keyLength);
    ms.fill(0);
    this.key = keys.streamKey;
    this.contextKey = keys.contextKey;
    if (this.disposed) {
      this.dispose(); // the stream failed while the keys were being derived
      throw alreadyFailed();
    }
    if (!equalBytes(keys.commitment, h.commitment)) throw openFailed();
    const aad = new Uint8Array(PREFIX_LENGTH + bytes.length);
    aad.set(this.prefix);
    aad.set(bytes, PREFIX_LENGTH);
    this.headerHash = await b.sha256(aad);
    this.header = h;
    this.suite = suite;
    this.info = streamInfo(h, bytes.length);
  }

  /** SPEC.md §7a.5 steps 8-10: one chunk; its plaintext goes out only once it verified. */
  private async openChunk(ct: Uint8Array): Promise<void> {
    const pt = await this.p.b.aeadOpen(
      this.suite.algorithm,
      this.key,
      chunkNonce(this.index, this.final),
      ct,
      this.headerHash,
    );
    if (pt === undefined) throw openFailed();
    try {
      const end = this.final ? pt.length - SIGNATURE_LENGTH : pt.length;
      const from = this.index === 0 ? await this.admit(pt.subarray(0, end)) : 0;
      const body = pt.subarray(from, end);
      this.hash.update(body);
      this.bodyBytes += body.length;
      if (this.final) {
        await this.verify(pt.subarray(end));
        this.tail = body.slice(); // held until the input ends cleanly
        pt.fill(0);
        return;
      }
      this.index++;
      if (from === 0) {
        await this.push(pt);
      } else {
        const out = body.slice();
        pt.fill(0);
        if (out.length > 0) await this.push(out);
      }
    } catch (e) {
      pt.fill(0); // never leave a rejected plaintext behind
      throw e;
    }
  }

  /**
   * SPEC.md §7a.5 step 9: the meta record, the sender's key, the header
   * signature, policy, context, replay. Returns the meta length.
   */
  private async admit(p0: Uint8Array): Promise<number> {
    const { options, b, allowed } = this.p;
    const meta = decodeMeta(p0);
    const kid = toBase64url(meta.senderKid);
    const pk = await trustedKey(options, meta.sender, kid);
    if (!pk)
      throw new BlindwireError(ErrorCode.KeyUntrusted, 'no trusted signing key for the sender');
    // The named sender started this stream (this exact header): without it,
    // anyone who can seal to us could get the answers below and have
    // plaintext released under a trusted sender's name.
    const tbs = streamHeaderSignatureInput(this.headerHash, utf8(meta.sender), meta.senderKid);
    if (!(await b.ed25519Verify(pk, tbs, meta.headerSignature))) throw openFailed();
    if (allowed && !allowed(meta.sender)) {
      throw new BlindwireError(ErrorCode.SenderNotAllowed, 'the sender is not allowed by policy');
    }
    const check = await contextCheck(b, this.contextKey, this.p.context);
    this.contextKey.fill(0);
    if (!equalBytes(check, this.header.contextCheck)) {
      throw new BlindwireError(
        ErrorCode.ContextMismatch,
        "the bound context differs from the sender's",
      );
    }
    await checkReplay(options.replay, this.info.messageId, meta.sender);
    this.sender = meta.sender;
    this.senderKid = meta.senderKid;
    this.senderKey = pk;
    return meta.length;
  }

  /** SPEC.md §7a.5 step 10: the signature over the header, the sender and the whole body. */
  private async verify(signature: Uint8Array): Promise<void> {
    const tbs = streamSignatureInput(
      this.headerHash,
      utf8(this.sender),
      this.senderKid,
      this.hash.digest(),
    );
    if (!(await this.p.b.ed25519Verify(this.senderKey, tbs, signature))) throw openFailed();
  }
}

function streamInfo(h: StreamHeader, headerBytes: number): StreamInfo {
  const info: StreamInfo = {
    version: 1,
    kind: 'stream',
    ...commonInfo(h),
    chunkSize: h.chunkSize,
    headerBytes,
  };
  addOptionalInfo(info, h);
  return info;
}
