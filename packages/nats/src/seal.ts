/**
 * Sealing for NATS (SPEC.md §4.5, §11b, §11c): the recipients resolved, the
 * bound context of the subject, then the exact size checked against the
 * server's `max_payload` (envelope plus hint header bytes) before any
 * cryptography (ERR_LIMIT_EXCEEDED), then `seal`. Also the answer of a
 * responder, sized and sealed with the response key (SPEC.md §6.4).
 */
import {
  BlindwireError,
  ErrorCode,
  bindingContext,
  isBlindwireError,
  seal,
  sealResponse,
  sealedResponseSize,
  sealedSize,
  type Delivered,
  type SealOptions,
  type SealResult,
} from '@blindwire/core';
import { messageIdOption, resolveRecipients } from '@blindwire/core/internal';
import {
  expectHints,
  headerBytes,
  messageHints,
  responseHints,
  userHints,
  type Hints,
} from './carrier.js';
import type {
  Answer,
  JetStreamPublishOptions,
  NatsBindingOptions,
  NatsConnectionLike,
  PublishOptions,
} from './types.js';

/** A stand-in message id of the real one's length (32 hex digits), for sizing the headers. */
const SIZING_ID = '0'.repeat(32);

/** The header bytes of a message's own hints, without user headers: [core NATS, JetStream]. */
const OWN_HINT_BYTES = [false, true].map((js) => headerBytes(messageHints(SIZING_ID, js)));

/** The header bytes of a message's hints (its id's length is fixed, so the stand-in sizes them). */
function hintBytes(jetstream: boolean, extra: Hints): number {
  for (const _ in extra) return headerBytes(messageHints(SIZING_ID, jetstream, extra));
  return OWN_HINT_BYTES[jetstream ? 1 : 0]!;
}

export interface Sealed {
  result: SealResult;
  hints: Hints;
  /** Envelope plus header bytes. */
  size: number;
}

/** `max_payload` of the connected server (ERR_TRANSPORT when the connection has no server info). */
export function maxPayload(nc: NatsConnectionLike): number {
  const max = nc.info?.max_payload;
  if (typeof max !== 'number' || !(max > 0))
    throw new BlindwireError(
      ErrorCode.Transport,
      'the NATS connection has no server info (max_payload)',
    );
  return max;
}

/** Refuses a message of `size` bytes over `max` (ERR_LIMIT_EXCEEDED). */
export function checkPayloadSize(size: number, max: number): void {
  if (size > max)
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `sealed message of ${size} bytes (headers included) exceeds the server's max_payload ${max}`,
    );
}

/** The bound context of `subject`: the binding's function, or SPEC.md §11b's canonical one. */
export function contextOf(o: NatsBindingOptions, subject: string): string | Uint8Array {
  if (o.context) return o.context(subject);
  return bindingContext('nats', subject, o.limits ? { limits: o.limits } : {});
}

/**
 * Seals `payload` for `subject` after the size check; `jetstream` adds
 * `Nats-Msg-Id` and the headers of `expect`, all counted.
 */
export async function sealFor(
  o: NatsBindingOptions,
  nc: NatsConnectionLike,
  subject: string,
  payload: Uint8Array | string,
  p: PublishOptions | JetStreamPublishOptions,
  jetstream: boolean,
): Promise<Sealed> {
  if (typeof p !== 'object' || p === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object with to');
  if (!o.sender)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"sender" expected the binding\'s sender');
  const extra = {
    ...userHints(p.headers),
    ...(jetstream ? expectHints((p as JetStreamPublishOptions).expect) : {}),
  };
  // The resolver sees the envelope's context: a per-context policy
  // (requirePostQuantum for some subjects, SPEC.md §5.4) applies to publish.
  const context = contextOf(o, subject);
  const recipients = await resolveRecipients(
    p.to,
    o.resolveRecipient,
    context,
    o.resolveRecipients,
  );
  const options: SealOptions = {
    sender: o.sender,
    recipients,
    context,
    now: o.now ? o.now() : Date.now(),
  };
  const set = <K extends keyof SealOptions>(k: K, v: SealOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('contentType', p.contentType);
  set('ttl', p.ttl ?? o.ttl);
  set('claims', p.claims);
  set('messageId', messageIdOption(p.messageId));
  set('padding', o.padding);
  set('aead', o.aead);
  set('limits', o.limits);
  set('backend', o.backend);
  set('clockSkew', o.clockSkew);
  // Before any crypto: the exact size against the server's limit.
  const size = sealedSize(payload, options) + hintBytes(jetstream, extra);
  checkPayloadSize(size, maxPayload(nc));
  const result = await seal(payload, options);
  return { result, hints: messageHints(result.messageId, jetstream, extra), size };
}

/** A responder's answer: payload and content type. */
export function answerOf(a: Answer): { payload: Uint8Array | string; contentType?: string } {
  if (typeof a === 'string' || a instanceof Uint8Array) return { payload: a };
  if (
    typeof a === 'object' &&
    a !== null &&
    (typeof a.payload === 'string' || a.payload instanceof Uint8Array)
  )
    return a.contentType === undefined
      ? { payload: a.payload }
      : { payload: a.payload, contentType: a.contentType };
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    '"answer" expected bytes, a string or { payload, contentType }',
  );
}

/** Seals the answer to `request` after the size check (SPEC.md §6.4). */
export async function sealAnswer(
  o: NatsBindingOptions,
  nc: NatsConnectionLike,
  request: Delivered,
  answer: Answer,
  ttl: number | undefined,
): Promise<{ envelope: Uint8Array; hints: Hints; messageId: string }> {
  const { payload, contentType } = answerOf(answer);
  const options = {
    now: o.now ? o.now() : Date.now(),
    ...(contentType === undefined ? {} : { contentType }),
    ...((ttl ?? o.ttl) === undefined ? {} : { ttl: ttl ?? o.ttl }),
    ...(o.padding === undefined ? {} : { padding: o.padding }),
    ...(o.limits === undefined ? {} : { limits: o.limits }),
  };
  const size =
    sealedResponseSize(request, payload, options) +
    headerBytes(responseHints(SIZING_ID, SIZING_ID));
  checkPayloadSize(size, maxPayload(nc));
  const r = await sealResponse(request, payload, {
    ...options,
    ...(o.backend === undefined ? {} : { backend: o.backend }),
  });
  return {
    envelope: r.envelope,
    hints: responseHints(r.messageId, r.requestId),
    messageId: r.messageId,
  };
}

/** A client error as ERR_TRANSPORT with its cause; a BlindwireError passes unchanged. */
export function transportError(what: string, e: unknown): BlindwireError {
  if (isBlindwireError(e)) return e;
  return new BlindwireError(ErrorCode.Transport, `${what} failed`, { cause: e });
}
