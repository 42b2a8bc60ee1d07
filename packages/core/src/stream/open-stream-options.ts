/** The options and the result of `openStream` (SPEC.md §7a.5). */
import type { OpenOptions } from '../envelope/open-options.js';
import type { Reservation } from '../envelope/replay.js';
import type { StreamLimits } from './limits.js';

/** Options of `openStream`: those of `open`, with stream limits (SPEC.md §7a). */
export interface OpenStreamOptions extends Omit<OpenOptions, 'limits'> {
  /** §8 limits for the header, and `maxChunkBytes` / `maxStreamBytes` (SPEC.md §7a.7). */
  limits?: Partial<StreamLimits>;
}

/** A stream's header as an intermediary sees it. */
export interface StreamInfo {
  version: 1;
  kind: 'stream';
  suite: { kem: number; kdf: number; aead: number; name: string; kemName: string };
  /** Recipient key ids (base64url). */
  recipients: { kid: string }[];
  messageId: string;
  issuedAt: number;
  expiresAt: number;
  contentType?: string;
  claims?: Record<string, string | number>;
  chunkSize: number;
  headerBytes: number;
}

/** What `openStream`'s `result` resolves with once the whole stream verified. */
export interface OpenStreamResult {
  /** The sender identity name, verified by the signature over the whole body. */
  sender: string;
  /** The kid of the sender's signing key. */
  senderKid: string;
  /** 32 hex digits. */
  messageId: string;
  contentType?: string;
  header: StreamInfo;
  /** Body bytes released. */
  bodyBytes: number;
  /** Bytes of the sealed stream read. */
  streamBytes: number;
  /** With a `ReplayStore`: the lease on this message id; commit it once processed, else release it. */
  reservation?: Reservation;
}

/**
 * A `{ readable, writable }` pair (fits `pipeThrough`) and the verified
 * result. The readable gives plaintext chunk by chunk as each authenticates;
 * only a readable that closes without error, with `result` resolved, carries
 * a body the sender signed in full.
 */
export interface OpenStream {
  /** Write the sealed stream here, in writes of any size. */
  writable: WritableStream<Uint8Array>;
  /** The body, released chunk by chunk; errors with the stream's error. */
  readable: ReadableStream<Uint8Array>;
  /** Resolves after the signature verified and the input ended cleanly; otherwise rejects. */
  result: Promise<OpenStreamResult>;
}
