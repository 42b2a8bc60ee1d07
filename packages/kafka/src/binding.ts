/**
 * `createKafkaBinding`: Blindwire on the caller's connected KafkaJS (or
 * KafkaJS-compatible) producer and consumer (SPEC.md §7b, §11b, §11c). It
 * never creates, owns or patches a client; every verb calls through it.
 */
import { shared } from './common.js';
import { run } from './run.js';
import { send } from './send.js';
import type {
  KafkaBindingOptions,
  KafkaClients,
  KafkaRun,
  RunConfig,
  RunOptions,
  SendOptions,
  SendRecord,
  SendResult,
} from './types.js';

/**
 * Sealed `send` and `run({ eachMessage })` on the caller's KafkaJS producer and consumer
 * (`createKafkaBinding`).
 */
export interface KafkaBinding {
  /** `producer.send` with plaintext values: each sealed for the topic; keys and headers kept. */
  send(record: SendRecord, options: SendOptions): Promise<SendResult>;
  /**
   * `consumer.run` with `autoCommit: false` and the binding's `eachMessage`:
   * the handler gets opened messages only; offsets are committed after
   * settlement; dead-letter copies go through the producer.
   */
  run(config: RunConfig, options?: RunOptions): Promise<KafkaRun>;
}

/** Binds Blindwire to the caller's clients: the producer (send, dead letters) and the consumer (run). */
export function createKafkaBinding(
  clients: KafkaClients,
  options: KafkaBindingOptions,
): KafkaBinding {
  const s = shared(options);
  const c: KafkaClients = { ...clients };
  return {
    send: (record, o) => send(s, c.producer, record, o),
    run: (config, o) => run(s, c, config, o),
  };
}
