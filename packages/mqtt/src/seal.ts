/**
 * Sealing for MQTT (SPEC.md §4.5, §11b, §11c): the recipients resolved, the
 * bound context of the topic, then the exact PUBLISH packet size (topic,
 * packet id, properties, envelope) checked against the largest packet the
 * server takes before any cryptography (ERR_LIMIT_EXCEEDED), then `seal`,
 * then the hint properties (MQTT 5 only). Also the answer of a responder,
 * sized and sealed with the request's response key (SPEC.md §6.4).
 */
import {
  BlindwireError,
  ErrorCode,
  sealResponse,
  sealedResponseSize,
  sealedSize,
  seal,
  type Delivered,
  type SealOptions,
} from '@blindwire/core';
import {
  limitsOf,
  messageIdOption,
  resolveRecipients,
  surelySealFits,
} from '@blindwire/core/internal';
import {
  messageProperties,
  publishPacketBytes,
  responseProperties,
  userProperties,
  type MessagePropertyOptions,
} from './carrier.js';
import type { Shared } from './common.js';
import type { Answer, MqttPublishProperties, PublishOptions, QoS } from './types.js';

/** A stand-in message id of the real one's length (32 hex digits), for sizing the properties. */
const SIZING_ID = '0'.repeat(32);
/** A stand-in correlation data: a request's message id, 16 bytes. */
const SIZING_CORRELATION = new Uint8Array(16);

export interface Sealed {
  envelope: Uint8Array;
  messageId: string;
  /** MQTT 5 properties; undefined on 3.1.1. */
  properties: MqttPublishProperties | undefined;
  /** The seal result, for opening a response (request only). */
  result: Awaited<ReturnType<typeof seal>>;
}

/** Refuses a packet of `size` bytes over the server's limit (ERR_LIMIT_EXCEEDED). */
export function checkPacketSize(size: number, max: number): void {
  if (size > max)
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `sealed PUBLISH of ${size} bytes (topic and properties included) exceeds the maximum packet size ${max}`,
    );
}

/** The QoS of a call: 0, 1 or 2 (default 1). */
export function qosOf(v: unknown, name = 'qos'): QoS {
  if (v === undefined) return 1;
  if (v !== 0 && v !== 1 && v !== 2)
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected 0, 1 or 2`);
  return v;
}

/** Seals `payload` for `topic` after the size check; `responseTopic` makes it a request. */
export async function sealFor(
  s: Shared,
  topic: string,
  payload: Uint8Array | string,
  p: PublishOptions,
  qos: QoS,
  responseTopic?: string,
): Promise<Sealed> {
  const o = s.o;
  if (typeof p !== 'object' || p === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object with to');
  if (!o.sender)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"sender" expected the binding\'s sender');
  const user = userProperties(p.userProperties);
  // The resolver sees the context: a per-context post-quantum policy applies (SPEC.md §5.4).
  const context = s.context(topic);
  const recipients = await resolveRecipients(
    p.to,
    o.resolveRecipient,
    context,
    o.resolveRecipients,
  );
  const nowMs = s.now();
  const options: SealOptions = {
    sender: o.sender,
    recipients,
    context,
    now: nowMs,
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
  const hints = (id: string, expiresAt: number, correlation: Uint8Array | undefined) => {
    if (!s.v5) return undefined;
    const h: MessagePropertyOptions = { userProperties: user };
    if (p.expiry !== false) Object.assign(h, { expiresAt, nowMs });
    if (responseTopic !== undefined)
      Object.assign(h, { responseTopic, correlationData: correlation });
    return messageProperties(id, h);
  };
  // Before any crypto: the exact packet against the server's limit (expiry's value has a fixed size).
  const sizing = hints(SIZING_ID, 0, SIZING_CORRELATION);
  const max = s.maxPacketBytes();
  // `seal` makes no envelope over maxEnvelopeBytes (SPEC.md §8), so when a
  // packet holding the largest envelope fits, every packet does, and the exact
  // size is needed only for maxEnvelopeBytes itself: `sealedSize` refuses an
  // envelope over it before any backend call, with the checks in the order
  // they had; it is skipped only when a cheap upper bound shows the envelope
  // fits, where nothing can be refused for its size.
  const limits = limitsOf(options);
  if (publishPacketBytes(topic, limits.maxEnvelopeBytes, qos, sizing) > max)
    checkPacketSize(publishPacketBytes(topic, sealedSize(payload, options), qos, sizing), max);
  else if (!surelySealFits(payload, options, limits)) sealedSize(payload, options);
  const result = await seal(payload, options);
  // Correlation data is a request's only (its message id, SPEC.md §11c).
  const correlation =
    responseTopic === undefined ? undefined : Buffer.from(result.messageId, 'hex');
  return {
    envelope: result.envelope,
    messageId: result.messageId,
    properties: hints(result.messageId, result.expiresAt, correlation),
    result,
  };
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

/** Seals the answer to `request` for `responseTopic` after the size check (SPEC.md §6.4). */
export async function sealAnswer(
  s: Shared,
  request: Delivered,
  answer: Answer,
  responseTopic: string,
  correlation: Uint8Array | undefined,
  qos: QoS,
  ttl: number | undefined,
): Promise<{ envelope: Uint8Array; properties: MqttPublishProperties; messageId: string }> {
  const o = s.o;
  const { payload, contentType } = answerOf(answer);
  const options = {
    now: s.now(),
    ...(contentType === undefined ? {} : { contentType }),
    ...((ttl ?? o.ttl) === undefined ? {} : { ttl: ttl ?? o.ttl }),
    ...(o.padding === undefined ? {} : { padding: o.padding }),
    ...(o.limits === undefined ? {} : { limits: o.limits }),
  };
  const sizing = responseProperties(SIZING_ID, SIZING_ID, correlation);
  checkPacketSize(
    publishPacketBytes(responseTopic, sealedResponseSize(request, payload, options), qos, sizing),
    s.maxPacketBytes(),
  );
  const r = await sealResponse(request, payload, {
    ...options,
    ...(o.backend === undefined ? {} : { backend: o.backend }),
  });
  return {
    envelope: r.envelope,
    properties: responseProperties(r.messageId, r.requestId, correlation),
    messageId: r.messageId,
  };
}
