/**
 * @blindwire/amqp: sealed messages on RabbitMQ (AMQP 0-9-1) through the
 * caller's amqplib channel (SPEC.md §7b, §11b, §11c).
 *
 * @module @blindwire/amqp
 */
export { createAmqpBinding, type AmqpBinding } from './binding.js';
export {
  ATTEMPT_HEADER,
  DESTINATION_HEADER,
  attemptOf,
  bodyBytes,
  deadLetterProperties,
  destinationOf,
  fromRetryQueue,
  messageProperties,
  readHeader,
  retryProperties,
  type MessagePropertyOptions,
  type RetryRoute,
} from './carrier.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './common.js';
export { retryQueueArguments } from './consume.js';
export type * from './types.js';
