/**
 * Media types and carrier header names (SPEC.md §11c). A carrier's headers
 * hold hints only: they repeat public facts of the envelope for routing and
 * observability, and a receiver acts on the opened envelope, never on them.
 */
import { Kind, MAGIC_0, MAGIC_1, PREFIX_LENGTH, StateKind, VERSION } from '../wire/kinds.js';

/** SPEC.md §11c: one media type per kind byte; no parameters are defined. */
export const MediaType = {
  /** A message, kind 0x01 (SPEC.md §4). */
  Envelope: 'application/vnd.blindwire.envelope',
  /** A response, kind 0x02 (SPEC.md §6). */
  Response: 'application/vnd.blindwire.response',
  /** A stream, kind 0x03 (SPEC.md §7a). */
  Stream: 'application/vnd.blindwire.stream',
  /** An exported response state, kind 0x20 (SPEC.md §11a): kept at rest, never sent as a message. */
  ResponseState: 'application/vnd.blindwire.response-state',
} as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/**
 * SPEC.md §11c: the header names a binding may set, where the transport has
 * no field of its own for the fact (HTTP `Content-Type`, AMQP `content-type`
 * and `message-id`, MQTT 5 Content Type, `Nats-Msg-Id`). Lowercase; carriers
 * compare names case-insensitively.
 */
export const CarrierHeader = {
  /** The media type of the body (`MediaType`). */
  ContentType: 'bw-content-type',
  /** The envelope's message id (header key 3; for a response, its response id): 32 lowercase hex digits. */
  MessageId: 'bw-message-id',
  /** Responses only: the request's message id (header key 10), 32 lowercase hex digits. */
  RequestId: 'bw-request-id',
  /** Dead-letter copies only: the error code (SPEC.md §9) that sent the copy there. */
  Reason: 'bw-reason',
} as const;
export type CarrierHeader = (typeof CarrierHeader)[keyof typeof CarrierHeader];

const BY_KIND = new Map<number, MediaType>([
  [Kind.Message, MediaType.Envelope],
  [Kind.Response, MediaType.Response],
  [Kind.Stream, MediaType.Stream],
  [StateKind.ResponseState, MediaType.ResponseState],
]);

/**
 * SPEC.md §11c: the media type of the object whose first bytes are `bytes`
 * (magic, version 1, a known kind), or undefined. Reads four bytes; proves
 * nothing about the rest.
 */
export function mediaTypeOf(bytes: Uint8Array): MediaType | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < PREFIX_LENGTH) return undefined;
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1 || bytes[2] !== VERSION) return undefined;
  return BY_KIND.get(bytes[3]!);
}
