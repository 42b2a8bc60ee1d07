/**
 * `send` (SPEC.md §4.5, §11b, §11c): `producer.send`'s record with plaintext
 * values. Each value is sealed for the topic after the size check of its
 * one-record batch; keys, partitions, timestamps and the sender's own headers
 * pass unchanged, the hints are added; then one `producer.send` through the
 * caller's producer, whose answer is returned unchanged.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { toBuffer, userHeaders } from './carrier.js';
import { checkTopic, sendEvent, transportError, type Shared } from './common.js';
import { sealRecord } from './seal.js';
import type {
  KafkaOutgoingMessage,
  KafkaProducerLike,
  SendOptions,
  SendRecord,
  SendResult,
} from './types.js';

/** The producer a verb needs (ERR_INVALID_ARGUMENT without one). */
export function producerOf(p: KafkaProducerLike | undefined, verb: string): KafkaProducerLike {
  if (typeof p?.send !== 'function')
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"producer" expected a connected producer with send() (for ${verb})`,
    );
  return p;
}

function checkRecord(r: SendRecord): void {
  if (typeof r !== 'object' || r === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"record" expected { topic, messages }');
  checkTopic('topic', r.topic);
  if (!Array.isArray(r.messages) || r.messages.length === 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"messages" expected a non-empty array of { value, key?, headers?, partition? }',
    );
}

/** The client's record: every field as given but the sealed values and the hints. */
async function sealAll(
  s: Shared,
  r: SendRecord,
  p: SendOptions,
): Promise<{ messages: KafkaOutgoingMessage[]; sealed: { messageId: string; bytes: number }[] }> {
  const messages: KafkaOutgoingMessage[] = [];
  const sealed: { messageId: string; bytes: number }[] = [];
  for (const m of r.messages) {
    if (typeof m !== 'object' || m === null)
      throw new BlindwireError(ErrorCode.InvalidArgument, '"messages[]" expected { value, ... }');
    const { value, messageId: wanted, headers, ...rest } = m;
    const one = { topic: r.topic, payload: value, key: m.key, headers: userHeaders(headers) };
    const {
      envelope,
      messageId,
      headers: h,
    } = await sealRecord(s.o, wanted === undefined ? one : { ...one, messageId: wanted }, p);
    messages.push({ ...rest, value: toBuffer(envelope), headers: h });
    sealed.push({ messageId, bytes: envelope.length });
  }
  return { messages, sealed };
}

export async function send(
  s: Shared,
  producer: KafkaProducerLike | undefined,
  r: SendRecord,
  p: SendOptions,
): Promise<SendResult> {
  const client = producerOf(producer, 'send');
  checkRecord(r);
  const started = s.now();
  const { messages, sealed } = await sealAll(s, r, p);
  const { topic, acks, timeout, compression } = r;
  const record = { topic, messages };
  if (acks !== undefined) Object.assign(record, { acks });
  if (timeout !== undefined) Object.assign(record, { timeout });
  if (compression !== undefined) Object.assign(record, { compression });
  let metadata;
  try {
    metadata = await client.send(record);
  } catch (e) {
    for (const m of sealed)
      sendEvent(s, 'send', topic, started, { ...m, outcome: 'failed', code: 'ERR_TRANSPORT' });
    throw transportError('producer.send', e);
  }
  for (const m of sealed) sendEvent(s, 'send', topic, started, m);
  return { metadata, messages: sealed };
}
