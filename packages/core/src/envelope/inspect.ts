/**
 * `inspect`: the header as an intermediary sees it, with no keys
 * (SPEC.md §4.1). Gateways use it for routing and policy on public claims.
 */
import { toBase64url } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import type { Limits } from '../limits.js';
import { readHead } from '../wire/cbor.js';
import { parseFrame, type Frame } from '../wire/frame.js';
import { Kind, MAGIC_0, MAGIC_1, PREFIX_LENGTH, VERSION } from '../wire/kinds.js';
import {
  decodeMessageHeader,
  decodeResponseHeader,
  decodeStreamHeader,
  type MessageHeader,
  type ResponseHeader,
  type StreamHeader,
} from '../wire/header.js';
import { hexId, limitsOf, type CommonOptions } from './options.js';
import { suiteName } from '../wire/suites.js';

export interface EnvelopeInfo {
  version: 1;
  kind: 'message' | 'response' | 'stream';
  suite: { kem: number; kdf: number; aead: number; name: string };
  /** Recipient key ids (base64url); empty for a response. */
  recipients: { kid: string }[];
  messageId: string;
  issuedAt: number;
  expiresAt: number;
  contentType?: string;
  claims?: Record<string, string | number>;
  /** Responses: the request's message id. */
  requestId?: string;
  /** Responses: the kid of the recipient that answered. */
  responder?: string;
  /** Streams: plaintext bytes per chunk. */
  chunkSize?: number;
  headerBytes: number;
  ciphertextBytes: number;
}

type AnyHeader = MessageHeader | ResponseHeader | StreamHeader;

/** The fields every kind of header shows an intermediary (EnvelopeInfo, StreamInfo). */
export function commonInfo(h: AnyHeader) {
  return {
    suite: { ...h.suite, name: suiteName(h.suite) },
    recipients: 'recipients' in h ? h.recipients.map((r) => ({ kid: toBase64url(r.kid) })) : [],
    messageId: hexId(h.messageId),
    issuedAt: h.issuedAt,
    expiresAt: h.expiresAt,
  };
}

/** Adds the optional content type and claims of `h` to `info`. */
export function addOptionalInfo(
  info: { contentType?: string; claims?: Record<string, string | number> },
  h: AnyHeader,
): void {
  if (h.contentType !== undefined) info.contentType = h.contentType;
  if ('claims' in h && h.claims) info.claims = Object.fromEntries(h.claims);
}

export function headerInfo(h: MessageHeader | ResponseHeader, frame: Frame): EnvelopeInfo {
  const info: EnvelopeInfo = {
    version: 1,
    kind:
      frame.kind === Kind.Message ? 'message' : frame.kind === Kind.Stream ? 'stream' : 'response',
    ...commonInfo(h),
    headerBytes: frame.header.length,
    ciphertextBytes: frame.ciphertext.length,
  };
  addOptionalInfo(info, h);
  if ('chunkSize' in h) info.chunkSize = (h as StreamHeader).chunkSize;
  if ('requestId' in h) {
    info.requestId = hexId(h.requestId);
    info.responder = toBase64url(h.responder);
  }
  return info;
}

/**
 * A stream's public parts (SPEC.md §7a.1) from its first bytes: the prefix and
 * the header are enough, so a gateway can inspect a stream of any length
 * without buffering it. `ciphertextBytes` counts the chunk bytes given.
 */
function inspectStream(bytes: Uint8Array, limits: Limits): EnvelopeInfo {
  const malformed = (what: string) =>
    new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed stream: ${what}`);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw malformed('bad magic');
  if (bytes[2] !== VERSION) {
    throw new BlindwireError(
      ErrorCode.UnsupportedVersion,
      `unsupported envelope version ${bytes[2]}`,
    );
  }
  const [major, length, headLength] = readHead(bytes, PREFIX_LENGTH);
  if (major !== 2) throw malformed('header must be a byte string');
  if (length > limits.maxHeaderBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `header of ${length} bytes exceeds maxHeaderBytes ${limits.maxHeaderBytes}`,
    );
  }
  const start = PREFIX_LENGTH + headLength;
  if (length > bytes.length - start) throw malformed('truncated');
  const header = bytes.subarray(start, start + length);
  const frame: Frame = {
    kind: Kind.Stream,
    prefix: bytes.subarray(0, PREFIX_LENGTH),
    header,
    ciphertext: bytes.subarray(start + length),
  };
  return headerInfo(decodeStreamHeader(header, limits), frame);
}

/**
 * Parses and validates an envelope's public parts without any key. For a
 * stream, the first bytes (prefix and header) are enough.
 */
export function inspect(envelope: Uint8Array, options?: CommonOptions): EnvelopeInfo {
  const limits = limitsOf(options);
  if (envelope instanceof Uint8Array && envelope.length >= 4 && envelope[3] === Kind.Stream) {
    return inspectStream(envelope, limits);
  }
  if (envelope instanceof Uint8Array && envelope.length >= 4 && envelope[3] === Kind.Response) {
    const frame = parseFrame(envelope, Kind.Response, limits);
    return headerInfo(decodeResponseHeader(frame.header, limits), frame);
  }
  const frame = parseFrame(envelope, Kind.Message, limits);
  return headerInfo(decodeMessageHeader(frame.header, limits), frame);
}
