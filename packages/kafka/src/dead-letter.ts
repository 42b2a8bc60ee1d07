/**
 * The dead-letter writer (SPEC.md §7b): the unchanged value, the original
 * key, and the `bw-reason`, `bw-message-id`, `bw-content-type` and
 * `bw-source-id` hints, sent through the caller's producer to the
 * dead-letter topic and acknowledged by the broker (with the producer's
 * `acks`: KafkaJS's default is -1, all in-sync replicas) before the
 * original's offset may be committed. A failed write
 * throws ERR_TRANSPORT: the original stays uncommitted and the write is
 * tried again.
 */
import { BlindwireError, ErrorCode, bindingContext } from '@blindwire/core';
import { deadLetterHeaders, toBuffer } from './carrier.js';
import { sendEvent, transportError, type Shared } from './common.js';
import type { KafkaProducerLike, KafkaSource, RunOptions } from './types.js';

export interface DeadLetter {
  bytes: Uint8Array;
  reason: string;
  messageId: string | undefined;
  key: Buffer | null;
  source: KafkaSource;
}

/** A legal topic name (SPEC.md §11b's rule for Kafka), else ERR_INVALID_ARGUMENT. */
export function checkTopicName(name: unknown): string {
  if (typeof name !== 'string' || destinationDefect(name))
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterTopic" expected a topic name: 1 to 249 of A-Z a-z 0-9 . _ -, not . or ..',
    );
  return name;
}

function destinationDefect(name: string): boolean {
  try {
    bindingContext('kafka', name);
    return false;
  } catch {
    return true;
  }
}

/** The dead-letter topic of `topic` by the run's option (default `<topic>.dlq`). */
export function deadLetterTopicOf(o: RunOptions, topic: string): string {
  const d = o.deadLetterTopic;
  const name = checkTopicName(typeof d === 'function' ? d(topic) : (d ?? `${topic}.dlq`));
  if (name === topic)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterTopic" expected a topic other than the consumed one',
    );
  return name;
}

/** Sends the copy and waits for the broker's acknowledgement (ERR_TRANSPORT when none comes). */
export async function writeDeadLetter(
  s: Shared,
  producer: KafkaProducerLike,
  topic: string,
  dl: DeadLetter,
): Promise<void> {
  const started = s.now();
  const fields = {
    bytes: dl.bytes.length,
    code: dl.reason,
    partition: dl.source.partition,
    offset: dl.source.offset,
    ...(dl.messageId === undefined ? {} : { messageId: dl.messageId }),
  };
  try {
    const headers = deadLetterHeaders(dl.bytes, dl.reason, dl.messageId, dl.source);
    await producer.send({
      topic,
      messages: [{ key: dl.key, value: toBuffer(dl.bytes), headers }],
    });
  } catch (e) {
    sendEvent(s, 'dead-letter', topic, started, { ...fields, outcome: 'failed' });
    throw transportError('the dead-letter producer.send', e);
  }
  sendEvent(s, 'dead-letter', topic, started, fields);
}
