/**
 * The MQTT carrier (SPEC.md §11c): pure and synchronous. The envelope travels
 * whole in the PUBLISH payload. On MQTT 5 the properties hold hints only:
 * Content Type (the media type), Payload Format Indicator 0 (binary), Message
 * Expiry Interval (the seconds left until the envelope's expiry), the
 * `bw-message-id` user property, and on a dead-letter copy `bw-reason`; a
 * response also carries `bw-request-id` and the request's Correlation Data
 * (its 16-byte message id, never anything of the plaintext). MQTT 3.1.1 has
 * no properties: the payload travels alone. A receiver never trusts a hint.
 * Also the exact size of a PUBLISH packet (MQTT 5 §2.1.4, §3.3), computed
 * before sealing.
 */
import { BlindwireError, CarrierHeader, ErrorCode, MediaType, mediaTypeOf } from '@blindwire/core';
import type { MqttPublishProperties, QoS } from './types.js';

/** Default prefix of dead-letter topics: `bw-dlq/<topic>`. */
export const DEFAULT_DEAD_LETTER_PREFIX = 'bw-dlq/';
/** MQTT's largest packet: a remaining length of 268,435,455 plus 5 header bytes. */
export const MQTT_MAX_PACKET_BYTES = 268_435_460;
/** MQTT 5 reason code 0x10: the broker accepted a PUBLISH that no subscription matched. */
export const NO_MATCHING_SUBSCRIBERS = 0x10;

const encoder = new TextEncoder();

/** UTF-8 bytes of `s` as TextEncoder writes it (a lone surrogate as U+FFFD), counted without encoding. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2; // 3 bytes, U+FFFD included
  }
  return n;
}

function bad(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, what);
}

/** The bytes of a payload as mqtt.js hands it over (a Buffer is a Uint8Array). */
export function payloadBytes(payload: Uint8Array | string | null | undefined): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') return encoder.encode(payload);
  return new Uint8Array(0);
}

/** A Buffer over the same memory (mqtt.js wants Buffers; no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A topic name to publish to (MQTT 5 §4.7): non-empty, no wildcard, no NUL, at most 65,535 bytes. */
export function checkTopicName(name: string, v: unknown): string {
  if (
    typeof v !== 'string' ||
    v.length === 0 ||
    /[+#]/.test(v) ||
    v.includes('\u0000') ||
    v.startsWith('$share/') ||
    utf8Length(v) > 65535
  )
    throw bad(`"${name}" expected an MQTT topic name (no +, # or NUL; not $share/...)`);
  return v;
}

/** A subscription filter, its `$share/<group>/` prefix stripped, and a matcher of concrete topics. */
export interface TopicFilter {
  /** The filter as subscribed. */
  subscribed: string;
  /** Without a shared-subscription prefix: what topics are matched against. */
  filter: string;
  matches(topic: string): boolean;
}

function checkFilterLevels(filter: string, where: string): string[] {
  if (filter.length === 0 || filter.includes('\u0000') || utf8Length(filter) > 65535)
    throw bad(`"${where}" expected a non-empty MQTT topic filter`);
  const levels = filter.split('/');
  levels.forEach((l, i) => {
    if (
      (l.includes('#') && (l !== '#' || i !== levels.length - 1)) ||
      (l.includes('+') && l !== '+')
    )
      throw bad(
        `"${where}" expected an MQTT topic filter ("+" a whole level, "#" the last), got ${JSON.stringify(filter)}`,
      );
  });
  return levels;
}

/**
 * MQTT 5 §4.7 and §4.8.2: `+` matches one level, `#` the parent and any
 * number of levels; a topic starting with `$` is never matched by a wildcard
 * in the first level. A `$share/<group>/<filter>` is read as `<filter>`.
 */
export function compileTopicFilter(subscribed: string, where = 'filter'): TopicFilter {
  if (typeof subscribed !== 'string') throw bad(`"${where}" expected an MQTT topic filter`);
  let filter = subscribed;
  if (subscribed.startsWith('$share/')) {
    const slash = subscribed.indexOf('/', 7);
    const group = slash < 0 ? '' : subscribed.slice(7, slash);
    if (group === '' || /[+#]/.test(group))
      throw bad(`"${where}" expected $share/<group>/<filter>, the group without + or #`);
    filter = subscribed.slice(slash + 1);
  }
  const want = checkFilterLevels(filter, where);
  return { subscribed, filter, matches: matcherOf(filter, want) };
}

/** The matcher of a checked filter: `#` and filters without a wildcard need no split per topic. */
function matcherOf(filter: string, want: readonly string[]): (topic: string) => boolean {
  if (filter === '#') return (topic) => typeof topic === 'string' && !topic.startsWith('$');
  if (!want.includes('+') && !want.includes('#')) return (topic) => topic === filter;
  return (topic) => {
    if (typeof topic !== 'string') return false;
    const got = topic.split('/');
    if (topic.startsWith('$') && (want[0] === '+' || want[0] === '#')) return false;
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      if (w === '#') return true;
      if (i >= got.length) return false;
      if (w !== '+' && w !== got[i]) return false;
    }
    return got.length === want.length;
  };
}

/** Whether `filter` (shared prefix stripped) can match a topic that starts with `prefix`. */
export function filterMatchesPrefix(filter: string, prefix: string): boolean {
  const want = filter.split('/');
  const have = prefix.split('/');
  const partial = have.pop()!; // '' when the prefix ends with '/'
  for (let i = 0; i < have.length; i++) {
    const w = want[i];
    if (w === undefined) return false;
    if (w === '#') return true;
    if (w !== '+' && w !== have[i]) return false;
  }
  const w = want[have.length];
  if (w === undefined) return false;
  return w === '#' || w === '+' || w.startsWith(partial);
}

/** Extra user properties: refused when a name is reserved (`bw-*`) or a value is not a string. */
export function userProperties(extra: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (extra === undefined) return out;
  if (typeof extra !== 'object' || extra === null)
    throw bad('"userProperties" expected a record of strings');
  for (const [k, v] of Object.entries(extra)) {
    if (k.toLowerCase().startsWith('bw-'))
      throw bad(`"userProperties" expected no reserved name (bw-*), got ${JSON.stringify(k)}`);
    if (typeof v !== 'string') throw bad(`"userProperties.${k}" expected a string`);
    out[k] = v;
  }
  return out;
}

/** Options of the carrier's MQTT 5 properties (the envelope's hints in the clear, SPEC.md §11c). */
export interface MessagePropertyOptions {
  /** The envelope's expiry in seconds, and the clock in ms: Message Expiry Interval when given. */
  expiresAt?: number;
  nowMs?: number;
  userProperties?: Record<string, string>;
  responseTopic?: string;
  correlationData?: Uint8Array;
}

/**
 * The MQTT 5 properties of a sealed message (SPEC.md §11c): the media type,
 * binary payload format, the message id as `bw-message-id`, the seconds left
 * until the envelope's expiry (at least 1) when asked, and a request's
 * response topic and correlation data.
 */
export function messageProperties(
  messageId: string,
  o: MessagePropertyOptions = {},
): MqttPublishProperties {
  // The caller's properties, then the id (a literal starting with a spread is slow in V8).
  const user: Record<string, string> = Object.assign({}, o.userProperties);
  user[CarrierHeader.MessageId] = messageId;
  const p: MqttPublishProperties = {
    payloadFormatIndicator: false,
    contentType: MediaType.Envelope,
    userProperties: user,
  };
  if (o.expiresAt !== undefined && o.nowMs !== undefined)
    p.messageExpiryInterval = Math.max(1, Math.ceil((o.expiresAt * 1000 - o.nowMs) / 1000));
  if (o.responseTopic !== undefined) p.responseTopic = o.responseTopic;
  if (o.correlationData !== undefined) p.correlationData = toBuffer(o.correlationData);
  return p;
}

/**
 * The MQTT 5 properties of a dead-letter copy (the payload goes unchanged):
 * the media type the bytes start with, the reason (`bw-reason`) and the
 * message id when the header parsed. No expiry: a copy is kept until read.
 */
export function deadLetterProperties(
  bytes: Uint8Array,
  reason: string,
  messageId: string | undefined,
): MqttPublishProperties {
  const user: Record<string, string> = { [CarrierHeader.Reason]: reason };
  if (messageId !== undefined) user[CarrierHeader.MessageId] = messageId;
  const p: MqttPublishProperties = { payloadFormatIndicator: false, userProperties: user };
  const type = mediaTypeOf(bytes);
  if (type !== undefined) p.contentType = type;
  return p;
}

/** The MQTT 5 properties of a response: its media type, ids, and the request's correlation data. */
export function responseProperties(
  responseId: string,
  requestId: string,
  correlationData: Uint8Array | undefined,
): MqttPublishProperties {
  const p: MqttPublishProperties = {
    payloadFormatIndicator: false,
    contentType: MediaType.Response,
    userProperties: {
      [CarrierHeader.MessageId]: responseId,
      [CarrierHeader.RequestId]: requestId,
    },
  };
  if (correlationData !== undefined) p.correlationData = toBuffer(correlationData);
  return p;
}

/** The first value of user property `name` (case-insensitive), or undefined. A hint only. */
export function readHint(
  props: MqttPublishProperties | null | undefined,
  name: string,
): string | undefined {
  const user = props?.userProperties;
  if (user === null || typeof user !== 'object') return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(user)) {
    if (k.toLowerCase() !== want) continue;
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' ? first : undefined;
  }
  return undefined;
}

/** Bytes of a Variable Byte Integer (MQTT 5 §1.5.5). */
export function varintBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Bytes of the encoded properties (MQTT 5 §3.3.2.3), without their length prefix. */
export function propertiesBytes(p: MqttPublishProperties): number {
  let n = 0;
  if (p.payloadFormatIndicator !== undefined) n += 2;
  if (p.messageExpiryInterval !== undefined) n += 5;
  if (p.contentType !== undefined) n += 3 + utf8Length(p.contentType);
  if (p.responseTopic !== undefined) n += 3 + utf8Length(p.responseTopic);
  if (p.correlationData !== undefined) n += 3 + p.correlationData.length;
  const user = p.userProperties;
  if (user === undefined) return n;
  for (const k of Object.keys(user)) {
    const v = user[k]!;
    if (!Array.isArray(v)) n += 5 + utf8Length(k) + utf8Length(v);
    else for (const one of v) n += 5 + utf8Length(k) + utf8Length(one);
  }
  return n;
}

/**
 * The exact size of a PUBLISH packet (MQTT 5 §3.3; 3.1.1 §3.3 without
 * properties): fixed header, topic, packet id (QoS > 0), properties, payload.
 */
export function publishPacketBytes(
  topic: string,
  payload: number,
  qos: QoS,
  properties: MqttPublishProperties | undefined,
): number {
  let rest = 2 + utf8Length(topic) + (qos > 0 ? 2 : 0) + payload;
  if (properties !== undefined) {
    const p = propertiesBytes(properties);
    rest += varintBytes(p) + p;
  }
  return 1 + varintBytes(rest) + rest;
}

/** Hex digits of bytes (a correlation data read back as the request id it carries). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
