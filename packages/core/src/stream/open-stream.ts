/**
 * `openStream`: the recipient's side of a stream (SPEC.md §7a.5, checks in
 * the order they run). Each chunk's plaintext is released only after its tag
 * verified, and chunk 0's only after the sender's key, the allowed senders,
 * the context and the replay guard accepted it; the signature over the whole
 * body is verified at the final chunk. Until `result` resolves, what was
 * read is unverified: a consumer must not act on it before then.
 */
import { invalidArgument } from '../errors.js';
import type { OpenOptions } from '../envelope/open.js';
import { backendOf } from '../envelope/options.js';
import { checkOpenOptions } from '../envelope/arguments.js';
import { createChannel } from './channel.js';
import { streamLimitsOf, type StreamLimits } from './limits.js';
import { StreamOpener } from './opener.js';

export interface OpenStreamOptions extends Omit<OpenOptions, 'limits'> {
  /** §8 limits for the header, and `maxChunkBytes` / `maxStreamBytes` (SPEC.md §7a.7). */
  limits?: Partial<StreamLimits>;
}

/** A stream's header as an intermediary sees it. */
export interface StreamInfo {
  version: 1;
  kind: 'stream';
  suite: { kem: number; kdf: number; aead: number; name: string };
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

/** Opens a stream addressed to one of `options.recipient`, verifying the sender. */
export function openStream(options: OpenStreamOptions): OpenStream {
  if (!options || typeof options !== 'object')
    throw invalidArgument('options', 'an options object');
  const b = backendOf(options);
  const limits = streamLimitsOf(options);
  const { context, keys, allowed, skew } = checkOpenOptions(options, limits);
  const { readable, writable, result } = createChannel(
    new StreamOpener({ options, b, limits, context, keys, allowed, skew }),
  );
  return { readable, writable, result };
}
