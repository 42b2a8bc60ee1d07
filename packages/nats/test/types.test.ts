/**
 * Both ends of the client range fit the binding's structural types
 * (checked by `pnpm typecheck`): nats.js 3.0.0 and the latest 3.x
 * connections, JetStream clients, pull consumers and their messages.
 */
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type {
  Consumer as Consumer30,
  JetStreamClient as JetStreamClient30,
  JsMsg as JsMsg30,
} from 'nats-js3-0';
import type { NatsConnection as NatsConnection30 } from 'nats-node3-0';
import { describe, expectTypeOf, it } from 'vitest';
import type { JetStreamLike, JsConsumerLike, JsMsgLike, NatsConnectionLike } from '../src/index.js';

describe('structural client types', () => {
  it('accept nats.js 3.0.0 and latest', () => {
    expectTypeOf<NatsConnection>().toMatchTypeOf<NatsConnectionLike>();
    expectTypeOf<NatsConnection30>().toMatchTypeOf<NatsConnectionLike>();
    expectTypeOf<JetStreamClient>().toMatchTypeOf<JetStreamLike>();
    expectTypeOf<JetStreamClient30>().toMatchTypeOf<JetStreamLike>();
    expectTypeOf<Consumer>().toMatchTypeOf<JsConsumerLike>();
    expectTypeOf<Consumer30>().toMatchTypeOf<JsConsumerLike>();
    expectTypeOf<JsMsg>().toMatchTypeOf<JsMsgLike>();
    expectTypeOf<JsMsg30>().toMatchTypeOf<JsMsgLike>();
  });
});
