/**
 * MQTT 5 topic aliases (§3.3.2.3.4): mqtt.js resolves a server's alias only
 * for its `message` event and hands `handleMessage` the packet as received,
 * its topic empty. The binding routes, binds the context and acknowledges
 * by that topic, so a client that lets the server send aliases
 * (`properties.topicAliasMaximum`) is refused, and a packet that comes with
 * no topic is never acknowledged unread.
 */
import { ErrorCode, isBlindwireError } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createMqttBinding, type MqttClientLike } from '../src/index.js';

function fakeClient(properties?: Record<string, unknown>): MqttClientLike {
  const client = {
    options: { protocolVersion: 5, clientId: 'fake', ...(properties ? { properties } : {}) },
    publish: () => client,
    subscribe: () => client,
    unsubscribe: () => client,
    on: () => client,
    removeListener: () => client,
    handleMessage: (_p: unknown, cb: () => void) => cb(),
  };
  return client as unknown as MqttClientLike;
}

const options = { deadLetterClient: fakeClient() } as never;

describe('topic aliases', () => {
  it('refuses a client that accepts topic aliases from the server (ERR_INVALID_ARGUMENT)', () => {
    let caught: unknown;
    try {
      createMqttBinding(fakeClient({ topicAliasMaximum: 10 }), options);
    } catch (e) {
      caught = e;
    }
    expect(isBlindwireError(caught) && caught.code).toBe(ErrorCode.InvalidArgument);
    expect(() => createMqttBinding(fakeClient({ topicAliasMaximum: 0 }), options)).not.toThrow();
    expect(() => createMqttBinding(fakeClient(), options)).not.toThrow();
  });

  it('leaves a packet without a topic unacknowledged instead of acknowledging it unread', () => {
    const bw = createMqttBinding(fakeClient(), options);
    const calls: (Error | undefined)[] = [];
    const packet = { topic: '', payload: new Uint8Array(3), qos: 1, messageId: 7 } as const;
    bw.handleMessage({ ...packet, properties: { topicAlias: 1 } } as never, (e) => calls.push(e));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(Error);
  });
});
