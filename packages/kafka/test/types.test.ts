/**
 * The binding's structural types accept KafkaJS's own, at both ends of the
 * peer range (2.0.0 and 2.2.4 ship their declarations): producers,
 * consumers, fetched records and `eachMessage` payloads, and the headers
 * and messages a KafkaJS user already has (checked by `pnpm typecheck`).
 */
import type * as K224 from 'kafkajs';
import type * as K200 from 'kafkajs2-0';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  KafkaConsumerLike,
  KafkaEachMessagePayload,
  KafkaHeaders,
  KafkaOutgoingMessage,
  KafkaProducerLike,
  KafkaReceivedMessage,
} from '../src/index.js';

describe('structural client types', () => {
  it('accept KafkaJS 2.2.4', () => {
    expectTypeOf<K224.Producer>().toMatchTypeOf<KafkaProducerLike>();
    expectTypeOf<K224.Consumer>().toMatchTypeOf<KafkaConsumerLike>();
    expectTypeOf<K224.KafkaMessage>().toMatchTypeOf<KafkaReceivedMessage>();
    expectTypeOf<K224.EachMessagePayload>().toMatchTypeOf<KafkaEachMessagePayload>();
    expectTypeOf<K224.IHeaders>().toMatchTypeOf<KafkaHeaders>();
    expectTypeOf<K224.Message>().toMatchTypeOf<KafkaOutgoingMessage>();
  });

  it('accept KafkaJS 2.0.0', () => {
    expectTypeOf<K200.Producer>().toMatchTypeOf<KafkaProducerLike>();
    expectTypeOf<K200.Consumer>().toMatchTypeOf<KafkaConsumerLike>();
    expectTypeOf<K200.KafkaMessage>().toMatchTypeOf<KafkaReceivedMessage>();
    expectTypeOf<K200.EachMessagePayload>().toMatchTypeOf<KafkaEachMessagePayload>();
  });
});
