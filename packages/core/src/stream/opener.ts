/**
 * The opener of a stream (SPEC.md §7a.5): the frame reader (frame-reader.ts)
 * hands it the header and each record; it runs the checks of each in the
 * order they run, with the shared opening rules (envelope/opening-rules.ts)
 * for §7a.5 steps 5, 9 and 12. A chunk's plaintext goes out only once it
 * verified, and chunk 0's only once the sender was admitted.
 */
import {
  checkCommitment,
  admitHeader,
  admitSender,
  checkReplayAgain,
} from '../envelope/opening-rules.js';
import type { OpeningPolicy } from '../envelope/check-open.js';
import type { Reservation } from '../envelope/replay.js';
import { addOptionalInfo, commonInfo } from '../envelope/envelope-info.js';
import { toBase64url, utf8, wipe } from '../bytes.js';
import {
  BlindwireError,
  ErrorCode,
  invalidArgument,
  isBlindwireError,
  openFailed,
  shown,
} from '../errors.js';
import { isBytes } from '../envelope/values.js';
import { decodeStreamHeader, type StreamHeader } from '../wire/header.js';
import { PREFIX_LENGTH } from '../wire/kinds.js';
import type { EnvelopeSuite } from '../wire/suites.js';
import type { CryptoBackend, Sha256Hash } from '../backend/types.js';
import { syncPrimitivesOf, type SyncPrimitives } from '../backend/sync.js';
import { recipientSecrets } from '../wire/recipient.js';
import { alreadyFailed, type ChannelSink, type Push } from './channel.js';
import { FrameReader, type FrameHandler } from './frame-reader.js';
import {
  NONCE_LENGTH,
  SIGNATURE_LENGTH,
  createSha256,
  decodeMeta,
  deriveStreamKeys,
  putChunkNonce,
  streamHeaderSignatureInput,
  streamSignatureInput,
} from '../wire/stream-keys.js';
import type { StreamLimits } from './limits.js';
import type { OpenStreamResult, StreamInfo } from './open-stream-options.js';

export interface OpenParams {
  b: CryptoBackend;
  limits: StreamLimits;
  /** The checked options (envelope/check-open.ts). */
  policy: OpeningPolicy;
  /** The stream's one ERR_OPEN_FAILED, built by `openStream` (its stack is the caller's). */
  failed: BlindwireError;
}

export class StreamOpener implements ChannelSink<OpenStreamResult>, FrameHandler {
  private push!: Push;
  private readonly frames: FrameReader;
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
  /** The chunk nonce, rewritten for each chunk (SPEC.md §7a.3). */
  private readonly nonce = new Uint8Array(NONCE_LENGTH);
  /** The backend's synchronous twin (backend/sync.ts), if any: a chunk opens without a promise. */
  private readonly sync: SyncPrimitives | undefined;
  private sender = '';
  private senderKid: Uint8Array = new Uint8Array(0);
  private senderKey: Uint8Array = new Uint8Array(0);
  private tail: Uint8Array = new Uint8Array(0);
  private bodyBytes = 0;
  private streamBytes = 0;
  /** Taken at §7a.5 step 9 with a replay store; released if the stream fails before `close` hands it over. */
  private reservation: Reservation | undefined;

  constructor(private readonly p: OpenParams) {
    this.hash = createSha256(p.b);
    this.sync = syncPrimitivesOf(p.b);
    this.frames = new FrameReader(p.limits.maxHeaderBytes, this);
  }

  async start(push: Push): Promise<void> {
    this.push = push;
  }

  /** One write of the sealed stream (the channel's only way in, with close). */
  write(chunk: Uint8Array): Promise<void> {
    return this.boundary(() => this.read(chunk));
  }

  /** The input ended (SPEC.md §7a.5 steps 11-12). */
  close(): Promise<OpenStreamResult> {
    return this.boundary(() => this.finish());
  }

  /**
   * Every ERR_OPEN_FAILED of the stream is the one `openStream` built before
   * any check ran, so that not even its stack tells which check failed
   * (SPEC.md §7a.6).
   */
  private async boundary<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      throw isBlindwireError(e, ErrorCode.OpenFailed) ? this.p.failed : e;
    }
  }

  private async read(chunk: Uint8Array): Promise<void> {
    if (!isBytes(chunk)) throw invalidArgument('chunk', 'a Uint8Array', shown(chunk));
    // SPEC.md §7a.5 step 1: the size limit, on every byte as it arrives.
    this.streamBytes += chunk.length;
    if (this.streamBytes > this.p.limits.maxStreamBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `stream exceeds maxStreamBytes ${this.p.limits.maxStreamBytes}`,
      );
    }
    await this.frames.write(chunk);
  }

  /** SPEC.md §7a.5 steps 11-12: the input must end right after the final chunk. */
  private async finish(): Promise<OpenStreamResult> {
    this.frames.end();
    // SPEC.md §7a.5 step 12: the replay guard again, as the stream completes.
    await checkReplayAgain(this.p.policy, this.info.messageId, this.sender);
    const tail = this.tail; // the consumer's now: not erased by dispose()
    this.tail = new Uint8Array(0);
    const reservation = this.reservation; // the consumer's too, once the result is out
    this.reservation = undefined;
    this.dispose();
    this.reservation = reservation;
    if (tail.length > 0) await this.push(tail, false);
    this.reservation = undefined;
    const result: OpenStreamResult = {
      sender: this.sender,
      senderKid: toBase64url(this.senderKid),
      messageId: this.info.messageId,
      header: this.info,
      bodyBytes: this.bodyBytes,
      streamBytes: this.streamBytes,
    };
    if (this.header.contentType !== undefined) result.contentType = this.header.contentType;
    if (reservation) result.reservation = reservation;
    return result;
  }

  dispose(): void {
    // A lease taken for a stream that failed: free it for a redelivery. If the
    // store fails here too, the lease ends after replayLeaseMs.
    this.reservation?.release().catch(() => {});
    this.reservation = undefined;
    this.disposed = true;
    wipe(this.key, this.contextKey, this.tail);
    this.tail = new Uint8Array(0);
    this.frames.wipe();
  }

  /** SPEC.md §7a.5 steps 4-6: header, suite, time, our key, key schedule, commitment. */
  async onHeader(prefix: Uint8Array, bytes: Uint8Array): Promise<number> {
    const { b, limits, policy } = this.p;
    const h = decodeStreamHeader(bytes, limits);
    if (h.chunkSize > limits.maxChunkBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `chunk size ${h.chunkSize} exceeds maxChunkBytes ${limits.maxChunkBytes}`,
      );
    }
    const { suite, entry, key } = admitHeader(h, policy); // §7a.5 step 5
    const ms = (await recipientSecrets(b, suite, entry, key, false)).messageSecret;
    const keys = await deriveStreamKeys(b, ms, suite.keyLength);
    ms.fill(0);
    this.key = keys.streamKey;
    this.contextKey = keys.contextKey;
    if (this.disposed) {
      this.dispose(); // the stream failed while the keys were being derived
      throw alreadyFailed();
    }
    checkCommitment(keys.commitment, h.commitment);
    const aad = new Uint8Array(PREFIX_LENGTH + bytes.length);
    aad.set(prefix);
    aad.set(bytes, PREFIX_LENGTH);
    this.headerHash = await b.sha256(aad);
    this.header = h;
    this.suite = suite;
    this.info = streamInfo(h, bytes.length);
    return h.chunkSize;
  }

  /** SPEC.md §7a.5 steps 8-10: one chunk; its plaintext goes out only once it verified. */
  async onRecord(ct: Uint8Array, final: boolean): Promise<void> {
    const alg = this.suite.algorithm;
    const nonce = putChunkNonce(this.nonce, this.index, final);
    const pt = this.sync
      ? this.sync.aeadOpen(alg, this.key, nonce, ct, this.headerHash)
      : await this.p.b.aeadOpen(alg, this.key, nonce, ct, this.headerHash);
    if (pt === undefined) throw openFailed();
    try {
      const end = final ? pt.length - SIGNATURE_LENGTH : pt.length;
      const from = this.index === 0 ? await this.admit(pt.subarray(0, end)) : 0;
      const body = pt.subarray(from, end);
      this.hash.update(body);
      this.bodyBytes += body.length;
      if (final) {
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
   * SPEC.md §7a.5 step 9: the meta record, then the opening rules with the
   * header signature: the sender's key, the signature, policy, context,
   * replay. Returns the meta length.
   */
  private async admit(p0: Uint8Array): Promise<number> {
    const { b, policy } = this.p;
    const meta = decodeMeta(p0, this.p.limits);
    // The named sender started this stream (this exact header): without it,
    // anyone who can seal to us could get the answers below and have
    // plaintext released under a trusted sender's name.
    const tbs = streamHeaderSignatureInput(this.headerHash, utf8(meta.sender), meta.senderKid);
    try {
      const { publicKey, reservation } = await admitSender(b, policy, {
        sender: meta.sender,
        senderKid: meta.senderKid,
        verify: (pk) => b.ed25519Verify(pk, tbs, meta.headerSignature),
        contextKey: this.contextKey,
        headerCheck: this.header.contextCheck,
        messageId: this.info.messageId,
        times: this.header,
      });
      this.senderKey = publicKey;
      this.reservation = reservation;
      // A stream cancelled while the store answered: dispose() already ran.
      if (this.disposed) {
        this.dispose();
        throw alreadyFailed();
      }
    } finally {
      this.contextKey.fill(0);
    }
    this.sender = meta.sender;
    this.senderKid = meta.senderKid;
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
