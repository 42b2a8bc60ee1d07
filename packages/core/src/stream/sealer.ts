/**
 * The sealer of a stream (SPEC.md §7a.2-§7a.4): the key schedule and header,
 * then re-chunking of writes of any size into full chunks, each hashed and
 * sealed as it fills, and the signed final chunk on close. Each chunk record
 * is one buffer, sealed in place after its flag and head: the only per-chunk
 * allocation of its own, and the caller's to keep.
 */
import { BlindwireError, ErrorCode, invalidArgument, shown } from '../errors.js';
import { isBytes } from '../envelope/values.js';
import { concat, toHex, wipe } from '../bytes.js';
import { AEAD_TAG_LENGTH, aeadSealInto } from '../backend/checks.js';
import { syncPrimitivesOf, type SyncPrimitives } from '../backend/sync.js';
import { encodeStreamHeader } from '../wire/header.js';
import { PREFIX_LENGTH } from '../wire/kinds.js';
import { contextCheck } from '../wire/keys.js';
import { senderSecrets } from '../wire/sender.js';
import type { CheckedSeal } from '../envelope/check-seal.js';
import type { CryptoBackend, Sha256Hash } from '../backend/types.js';
import { alreadyFailed, type ChannelSink, type Push } from './channel.js';
import {
  NONCE_LENGTH,
  SIGNATURE_LENGTH,
  createSha256,
  putChunkNonce,
  deriveStreamKeys,
  encodeMeta,
  streamHeaderSignatureInput,
  streamSignatureInput,
} from '../wire/stream-keys.js';
import type { StreamLimits } from './limits.js';
import { allocateRecord, encodeStreamStart } from '../wire/stream-records.js';
import type { SealStreamResult } from './seal-stream-options.js';

export interface SealParams {
  b: CryptoBackend;
  limits: StreamLimits;
  /** The checked arguments (check-seal.ts). */
  checked: CheckedSeal;
  /** The meta record with a placeholder signature (for its length). */
  meta: Uint8Array;
  chunkSize: number;
}

export class StreamSealer implements ChannelSink<SealStreamResult> {
  private push!: Push;
  private key: Uint8Array = new Uint8Array(0);
  /** Set by dispose(): a key derived after it (a cancel during the key schedule) is wiped at once. */
  private disposed = false;
  /** SHA-256(prefix || header-bytes): every chunk's AAD (SPEC.md §7a.3). */
  private headerHash: Uint8Array = new Uint8Array(0);
  private readonly hash: Sha256Hash;
  /** The chunk being filled; chunk 0 starts with the meta record. */
  private readonly pending: Uint8Array;
  private fill: number;
  /** Where the body starts in `pending` (after the meta record in chunk 0). */
  private bodyFrom: number;
  private index = 0;
  /** The chunk nonce, rewritten for each chunk (SPEC.md §7a.3). */
  private readonly nonce = new Uint8Array(NONCE_LENGTH);
  /**
   * The backend's synchronous twin (backend/sync.ts), if it has one: chunks
   * are then sealed without a promise each, into records allocated unzeroed.
   * Same bytes as the async primitives.
   */
  private readonly sync: SyncPrimitives | undefined;
  private bodyBytes = 0;
  private streamBytes = 0;

  constructor(private readonly p: SealParams) {
    this.hash = createSha256(p.b);
    this.sync = syncPrimitivesOf(p.b);
    this.pending = new Uint8Array(p.chunkSize);
    this.fill = this.bodyFrom = p.meta.length; // the meta record is set by start()
  }

  /** SPEC.md §7a.2: the key schedule of §4.3, then the header goes out. */
  async start(push: Push): Promise<void> {
    this.push = push;
    const { b } = this.p;
    const { suite, recipients, sender } = this.p.checked;
    const { entries, messageSecret: ms } = await senderSecrets(b, suite, recipients, false);
    const keys = await deriveStreamKeys(b, ms, suite.keyLength);
    ms.fill(0);
    this.key = keys.streamKey;
    if (this.disposed) {
      wipe(keys.contextKey);
      this.dispose(); // the stream failed while the keys were being derived
      throw alreadyFailed();
    }
    const c = this.p.checked;
    const check = await contextCheck(b, keys.contextKey, c.context);
    keys.contextKey.fill(0);
    const header = encodeStreamHeader({
      suite: suite.ids,
      recipients: entries,
      messageId: c.messageId,
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
      ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
      contextCheck: check,
      commitment: keys.commitment,
      ...(c.claims ? { claims: c.claims } : {}),
      chunkSize: this.p.chunkSize,
    });
    if (header.length > this.p.limits.maxHeaderBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `header of ${header.length} bytes exceeds maxHeaderBytes`,
      );
    }
    const start = encodeStreamStart(header);
    const prefix = start.subarray(0, PREFIX_LENGTH);
    this.headerHash = await b.sha256(concat(prefix, header));
    // SPEC.md §7a.4: the header signature goes into the meta record, which
    // holds its place (same length) at the start of chunk 0.
    const headerSignature = await b.ed25519Sign(
      sender.privateKey,
      streamHeaderSignatureInput(this.headerHash, sender.name, sender.kid),
    );
    const meta = encodeMeta(sender.text, sender.kid, headerSignature);
    if (meta.length !== this.p.meta.length) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        'the backend returned a malformed signature',
      );
    }
    this.pending.set(meta);
    await this.emit(start, false);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (!isBytes(chunk)) throw invalidArgument('chunk', 'a Uint8Array', shown(chunk, true));
    const size = this.p.chunkSize;
    let off = 0;
    while (off < chunk.length) {
      if (this.fill === 0 && chunk.length - off >= size) {
        await this.sealChunk(chunk.subarray(off, off + size), 0); // whole chunk in the input: no copy
        off += size;
        continue;
      }
      const k = Math.min(size - this.fill, chunk.length - off);
      this.pending.set(chunk.subarray(off, off + k), this.fill);
      this.fill += k;
      off += k;
      if (this.fill === size) {
        await this.sealChunk(this.pending, this.bodyFrom);
        this.fill = this.bodyFrom = 0;
      }
    }
  }

  /** SPEC.md §7a.4: the rest of the body, then the signature, in the final chunk. */
  async close(): Promise<SealStreamResult> {
    const { b } = this.p;
    const { sender, messageId, issuedAt, expiresAt } = this.p.checked;
    if (this.fill === this.p.chunkSize) {
      // Only when the meta record alone fills chunk 0: a full chunk is never the final one.
      await this.sealChunk(this.pending, this.bodyFrom);
      this.fill = this.bodyFrom = 0;
    }
    const tail = this.pending.subarray(this.bodyFrom, this.fill);
    this.hash.update(tail);
    this.bodyBytes += tail.length;
    const tbs = streamSignatureInput(this.headerHash, sender.name, sender.kid, this.hash.digest());
    const signature = await b.ed25519Sign(sender.privateKey, tbs);
    if (!isBytes(signature) || signature.length !== SIGNATURE_LENGTH) {
      // SPEC.md §7a.4: the final chunk ends with exactly 64 signature bytes.
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        'the backend returned a malformed signature',
      );
    }
    const record = await this.sealRecord([this.pending.subarray(0, this.fill), signature], true);
    this.dispose();
    await this.emit(record, false);
    return {
      messageId: toHex(messageId),
      issuedAt,
      expiresAt,
      chunkSize: this.p.chunkSize,
      bodyBytes: this.bodyBytes,
      streamBytes: this.streamBytes,
    };
  }

  dispose(): void {
    this.disposed = true;
    wipe(this.key, this.pending);
  }

  /** One full chunk (never the final one): its body part is hashed, then it is sealed and sent. */
  private async sealChunk(pt: Uint8Array, bodyFrom: number): Promise<void> {
    this.hash.update(bodyFrom === 0 ? pt : pt.subarray(bodyFrom));
    this.bodyBytes += pt.length - bodyFrom;
    const sealed = this.sealRecord([pt], false);
    const record = sealed instanceof Uint8Array ? sealed : await sealed;
    this.index++;
    await this.emit(record, true);
  }

  /**
   * SPEC.md §7a.3: the record of chunk `index`: flag, byte-string head, and
   * the AEAD of the concatenated `parts` written in place after them. The
   * record is a fresh buffer (it goes to the reader, who may keep it); the
   * plaintext is never assembled. With the synchronous twin the record comes
   * back without a promise (one promise and frame less per chunk).
   */
  private sealRecord(
    parts: readonly Uint8Array[],
    final: boolean,
  ): Uint8Array | Promise<Uint8Array> {
    let length = AEAD_TAG_LENGTH;
    for (const part of parts) length += part.length;
    const { out, offset } = allocateRecord(final, length, this.sync?.allocate);
    const alg = this.p.checked.suite.algorithm;
    const nonce = putChunkNonce(this.nonce, this.index, final);
    if (this.sync) {
      this.sync.aeadSealParts(alg, this.key, nonce, parts, this.headerHash, out, offset);
      return out;
    }
    return aeadSealInto(this.p.b, alg, this.key, nonce, parts, this.headerHash, out, offset).then(
      () => out,
    );
  }

  /** SPEC.md §7a.7: `maxStreamBytes` holds on the sealing side too. */
  private emit(bytes: Uint8Array, wait: boolean): Promise<void> {
    if (this.streamBytes + bytes.length > this.p.limits.maxStreamBytes) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `stream exceeds maxStreamBytes ${this.p.limits.maxStreamBytes}`,
      );
    }
    this.streamBytes += bytes.length;
    return this.push(bytes, wait);
  }
}
