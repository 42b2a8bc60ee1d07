/**
 * The header as an intermediary sees it (SPEC.md §4.1, §6.2, §7a.1): the
 * `EnvelopeInfo` that `inspect`, `open` and `openResponse` report, and the
 * fields a stream's `StreamInfo` shares with it.
 */
import { toBase64url, toHex } from '../bytes.js';
import type { Frame } from '../wire/frame.js';
import { Kind } from '../wire/kinds.js';
import type { MessageHeader, ResponseHeader, StreamHeader } from '../wire/header.js';
import { suiteKemName, suiteName } from '../wire/suites.js';

/**
 * An envelope's public header, as any intermediary can read it without a key (SPEC.md §4.1, §6.2,
 * §7a.1): what `inspect` returns and `open` reports as `header`.
 */
export interface EnvelopeInfo {
  version: 1;
  kind: 'message' | 'response' | 'stream';
  /** `kemName`: X25519, X-Wing (post-quantum hybrid) or unknown. */
  suite: { kem: number; kdf: number; aead: number; name: string; kemName: string };
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
export type CommonInfo = Pick<
  EnvelopeInfo,
  'suite' | 'recipients' | 'messageId' | 'issuedAt' | 'expiresAt'
>;

/** The common fields of `h`. */
export function commonInfo(h: AnyHeader, messageIdHex?: string): CommonInfo {
  const { kem, kdf, aead } = h.suite;
  const recipients: { kid: string }[] = [];
  if ('recipients' in h) for (const r of h.recipients) recipients.push({ kid: toBase64url(r.kid) });
  return {
    suite: { kem, kdf, aead, name: suiteName(h.suite), kemName: suiteKemName(h.suite) },
    recipients,
    messageId: messageIdHex ?? toHex(h.messageId),
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

/** The header `open` reports (`messageIdHex`: the message id in hex, when the caller has it). */
export function headerInfo(
  h: MessageHeader | ResponseHeader,
  frame: Frame,
  messageIdHex?: string,
): EnvelopeInfo {
  const info: EnvelopeInfo = {
    version: 1,
    kind:
      frame.kind === Kind.Message ? 'message' : frame.kind === Kind.Stream ? 'stream' : 'response',
    ...commonInfo(h, messageIdHex),
    headerBytes: frame.header.length,
    ciphertextBytes: frame.ciphertext.length,
  };
  addOptionalInfo(info, h);
  if ('chunkSize' in h) info.chunkSize = (h as StreamHeader).chunkSize;
  if ('requestId' in h) {
    info.requestId = toHex(h.requestId);
    info.responder = toBase64url(h.responder);
  }
  return info;
}
