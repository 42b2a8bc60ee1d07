/**
 * A serializer / deserializer pair in the shape of Confluent's serdes
 * (`serialize(topic, value, headers)`, `deserialize(topic, value, headers)`),
 * for code that owns its own produce and consume loop (SPEC.md §4.5, §7,
 * §11b, §11c). Each stacks after a schema-registry serde through `inner`:
 * the serializer seals what the inner one wrote, the deserializer hands the
 * opened bytes to the inner one. They are stateless: no replay guard, no
 * dead-letter topic (a thrown BlindwireError is the caller's to route):
 * `run` is the consumer that applies SPEC.md §7b.
 */
import {
  BlindwireError,
  ErrorCode,
  open,
  type AeadName,
  type OpenOptions,
  type OpenResult,
} from '@blindwire/core';
import { clearRecordHints, toBuffer, userHeaders, valueBytes } from './carrier.js';
import { contextOf, sealRecord } from './seal.js';
import type { KafkaHeaders, OpeningOptions, SealingOptions, SendOptions } from './types.js';

/** A serializer to run first (a schema-registry serializer fits). */
export interface InnerSerializer {
  serialize(topic: string, msg: unknown, headers?: KafkaHeaders): Promise<Uint8Array> | Uint8Array;
}

/** A deserializer to run on the opened bytes (a schema-registry deserializer fits). */
export interface InnerDeserializer {
  deserialize(topic: string, payload: Buffer, headers?: KafkaHeaders): unknown;
}

export interface KafkaSerializerOptions extends SealingOptions, SendOptions {
  inner?: InnerSerializer;
}

export interface KafkaDeserializerOptions extends OpeningOptions {
  /** Sender name patterns allowed (SPEC.md §7.1); default any trusted sender. */
  allowedSenders?: (string | RegExp)[];
  maxAge?: number;
  allowedSuites?: AeadName[];
  inner?: InnerDeserializer;
}

/** Seals record values (`createKafkaSerializer`), for code that produces records itself. */
export interface KafkaSerializer {
  /**
   * The record value: the envelope of `value` (or of what `inner` made of
   * it) sealed for `topic`. Sets `bw-content-type` and `bw-message-id` on
   * `headers` when given, in place, as Confluent's serializers set theirs.
   * The size check counts the value and `headers`, without a key.
   */
  serialize(topic: string, value: unknown, headers?: KafkaHeaders): Promise<Buffer>;
}

/** What `open` of the deserializer releases: the value, and who sent it. */
export interface KafkaOpened {
  /** The plaintext as a Buffer, or what `inner` made of it. */
  value: unknown;
  payload: Uint8Array;
  sender: string;
  senderKid: string;
  messageId: string;
  contentType?: string;
}

/** Opens record values (`createKafkaDeserializer`), for code that reads records itself. */
export interface KafkaDeserializer {
  /** The plaintext of a record value sealed for `topic` (or `inner`'s result); throws a BlindwireError. */
  deserialize(topic: string, value: Uint8Array | null, headers?: KafkaHeaders): Promise<unknown>;
  /** As `deserialize`, with the verified sender and the message id. */
  open(topic: string, value: Uint8Array | null, headers?: KafkaHeaders): Promise<KafkaOpened>;
}

function checkObject(o: unknown): void {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
}

/** A Confluent-style serializer that seals a record value for the topic's recipients. */
export function createKafkaSerializer(options: KafkaSerializerOptions): KafkaSerializer {
  checkObject(options);
  const inner = options.inner;
  if (inner !== undefined && typeof inner?.serialize !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"inner" expected a serializer');
  return {
    async serialize(topic, value, headers) {
      const h = headers ?? {};
      clearRecordHints(h);
      userHeaders(h); // checks: no other reserved name
      const payload = inner ? await inner.serialize(topic, value, h) : value;
      if (!(payload instanceof Uint8Array) && typeof payload !== 'string')
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          '"value" expected bytes or a string (or an inner serializer)',
        );
      const r = { topic, payload, key: null, headers: h };
      const { envelope } = await sealRecord(options, r, options);
      return toBuffer(envelope);
    },
  };
}

/** The key pairs of `open`: given, or read from the key source (its failure is ERR_TRANSPORT). */
async function keysOf(o: OpeningOptions): Promise<Pick<OpenOptions, 'recipient' | 'revokedKids'>> {
  if (!o.keySource) {
    if (o.recipient === undefined)
      throw new BlindwireError(ErrorCode.InvalidArgument, '"recipient" expected key pair(s)');
    return o.revokedKids === undefined
      ? { recipient: o.recipient }
      : { recipient: o.recipient, revokedKids: o.revokedKids };
  }
  try {
    const recipient = await o.keySource.recipientKeys();
    const kids = o.keySource.revokedKids ? await o.keySource.revokedKids() : undefined;
    return kids === undefined ? { recipient } : { recipient, revokedKids: Array.from(kids) };
  } catch (e) {
    throw new BlindwireError(ErrorCode.Transport, 'the recipient key source failed', { cause: e });
  }
}

/** A Confluent-style deserializer that opens and verifies a sealed record value. */
export function createKafkaDeserializer(options: KafkaDeserializerOptions): KafkaDeserializer {
  checkObject(options);
  const o = options;
  const inner = o.inner;
  if (inner !== undefined && typeof inner?.deserialize !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"inner" expected a deserializer');
  if (o.recipient === undefined && o.keySource === undefined)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"recipient" expected key pair(s)');
  const openRecord = async (topic: string, value: Uint8Array | null): Promise<OpenResult> => {
    const oo: OpenOptions = {
      ...(await keysOf(o)),
      context: contextOf(o, topic),
      now: o.now ? o.now() : Date.now(),
    };
    const set = <K extends keyof OpenOptions>(k: K, v: OpenOptions[K] | undefined) => {
      if (v !== undefined) oo[k] = v;
    };
    set('trustedSenders', o.trustedSenders);
    set('resolveSender', o.resolveSender);
    set('allowedSenders', o.allowedSenders);
    set('maxAge', o.maxAge);
    set('allowedSuites', o.allowedSuites);
    set('clockSkew', o.clockSkew);
    set('limits', o.limits);
    set('backend', o.backend);
    return open(valueBytes(value), oo);
  };
  const release = async (topic: string, r: OpenResult, headers?: KafkaHeaders) =>
    inner ? inner.deserialize(topic, toBuffer(r.payload), headers) : toBuffer(r.payload);
  return {
    async deserialize(topic, value, headers) {
      return release(topic, await openRecord(topic, value), headers);
    },
    async open(topic, value, headers) {
      const r = await openRecord(topic, value);
      const opened: KafkaOpened = {
        value: await release(topic, r, headers),
        payload: r.payload,
        sender: r.sender,
        senderKid: r.senderKid,
        messageId: r.messageId,
      };
      if (r.contentType !== undefined) opened.contentType = r.contentType;
      return opened;
    },
  };
}
