/**
 * The binding's structural types accept amqplib's own (2.x ships its
 * declarations): channels, confirm channels and delivered messages (checked
 * by `pnpm typecheck`). amqplib 0.10.4 ships none; its runtime objects are
 * exercised by the integration tests.
 */
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { describe, expectTypeOf, it } from 'vitest';
import type { AmqpChannelLike, AmqpConfirmChannelLike, AmqpMessageLike } from '../src/index.js';

describe('structural client types', () => {
  it('accept amqplib 2.x channels and messages', () => {
    expectTypeOf<Channel>().toMatchTypeOf<AmqpChannelLike>();
    expectTypeOf<ConfirmChannel>().toMatchTypeOf<AmqpConfirmChannelLike>();
    expectTypeOf<ConsumeMessage>().toMatchTypeOf<AmqpMessageLike>();
  });
});
