/**
 * What every verb of the binding shares (SPEC.md §7b, §11b): the checked
 * binding options, the replay store, events (metadata only, a throwing
 * listener ignored), the bound context of a topic, the largest packet the
 * server takes, and a core `createConsumer` configured for one subscription
 * whose policy `match` strings are MQTT topic filters.
 */
import {
  BlindwireError,
  ErrorCode,
  bindingContext,
  createConsumer,
  createMemoryReplayStore,
  isBlindwireError,
  type Consumer,
  type ConsumerOptions,
  type Delivered,
  type DestinationPolicy,
  type ReplayStore,
  type RetryOptions,
} from '@blindwire/core';
import {
  DEFAULT_DEAD_LETTER_PREFIX,
  MQTT_MAX_PACKET_BYTES,
  compileTopicFilter,
} from './carrier.js';
import type {
  ConnackProperties,
  MqttBindingOptions,
  MqttClientLike,
  MqttEvent,
  MqttSendEvent,
} from './types.js';

/** The binding's state shared by its verbs. */
export interface Shared {
  o: MqttBindingOptions;
  client: MqttClientLike;
  replay: ReplayStore;
  now: () => number;
  emit: (e: MqttEvent) => void;
  /** An `onEvent` was given at creation: the listener `emit` calls, read once, as every option. */
  listening: boolean;
  /** MQTT 5 (protocolVersion 5) or 3.1.1 / 3.1. */
  v5: boolean;
  /** The largest PUBLISH packet now: the option, the server's CONNACK, or MQTT's. */
  maxPacketBytes(): number;
  /** The bound context of `topic` (`contextOf`), the canonical one kept for the latest topic. */
  context(topic: string): string | Uint8Array;
}

function positiveInteger(name: string, v: unknown): void {
  if (!Number.isSafeInteger(v) || (v as number) < 1)
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected a positive integer`);
}

/** Whether `c` has the methods the binding calls. */
export function isClient(c: unknown): c is MqttClientLike {
  const m = c as Partial<Record<keyof MqttClientLike, unknown>> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.publish === 'function' &&
    typeof m.subscribe === 'function' &&
    typeof m.on === 'function' &&
    typeof m.options === 'object'
  );
}

export function checkClient(name: string, c: unknown): MqttClientLike {
  if (!isClient(c))
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected an mqtt.js 5 client`);
  return c;
}

/** The dead-letter prefix: a non-empty string without wildcards. */
export function checkPrefix(v: unknown): string {
  if (
    typeof v !== 'string' ||
    v.length === 0 ||
    /[+#]/.test(v) ||
    v.includes('\u0000') ||
    v.startsWith('$')
  )
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterPrefix" expected a non-empty topic prefix without +, # or a leading $',
    );
  return v;
}

/** The server's latest CONNACK Maximum Packet Size per client, kept by one `connect` listener each. */
const serverMax = new WeakMap<object, { max: number | undefined }>();

/**
 * MQTT 5 §3.2.2.3.6: the server's Maximum Packet Size. mqtt.js keeps the
 * CONNACK of the current connection (`_serverProperties`, 5.x later
 * releases); later connections are read from the `connect` event.
 */
function serverMaxOf(client: MqttClientLike): { max: number | undefined } {
  let m = serverMax.get(client);
  if (m !== undefined) return m;
  const p = (client as { _serverProperties?: ConnackProperties })._serverProperties;
  const valid = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);
  const entry = { max: valid(p?.maximumPacketSize) };
  client.on('connect', (connack) => {
    entry.max = valid(connack?.properties?.maximumPacketSize);
  });
  serverMax.set(client, entry);
  m = entry;
  return m;
}

export function shared(client: MqttClientLike, o: MqttBindingOptions): Shared {
  checkClient('client', client);
  // mqtt.js resolves a server's topic alias only for its `message` event: the
  // packet `handleMessage` gets keeps an empty topic, which the binding could
  // neither route nor bind (SPEC.md §11b).
  const aliases = (client.options as { properties?: { topicAliasMaximum?: unknown } }).properties;
  if (typeof aliases?.topicAliasMaximum === 'number' && aliases.topicAliasMaximum > 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"client" expected no properties.topicAliasMaximum: handleMessage gets an aliased packet without its topic',
    );
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"onEvent" expected a function');
  if (o.maxPacketBytes !== undefined) positiveInteger('maxPacketBytes', o.maxPacketBytes);
  if (o.deadLetterClient !== undefined) checkClient('deadLetterClient', o.deadLetterClient);
  checkPrefix(o.deadLetterPrefix ?? DEFAULT_DEAD_LETTER_PREFIX);
  const server = serverMaxOf(client);
  const onEvent = o.onEvent;
  // One entry: a publisher or subscription mostly sees one topic over and over.
  let last: { topic: string; limits: unknown; context: string | Uint8Array } | undefined;
  return {
    context(topic) {
      if (o.context) return o.context(topic); // the caller's function: called every time
      if (last !== undefined && last.topic === topic && last.limits === o.limits)
        return last.context;
      const context = contextOf(o, topic);
      last = { topic, limits: o.limits, context };
      return context;
    },
    o,
    client,
    replay: o.replay ?? createMemoryReplayStore(),
    now: o.now ?? Date.now,
    v5: client.options?.protocolVersion === 5,
    maxPacketBytes: () => o.maxPacketBytes ?? server.max ?? MQTT_MAX_PACKET_BYTES,
    listening: onEvent !== undefined,
    emit: (e) => {
      if (!onEvent) return;
      try {
        onEvent(e);
      } catch {
        // Events never change what happens to a message.
      }
    },
  };
}

/** A send event, metadata only. */
export function sendEvent(
  s: Shared,
  verb: MqttSendEvent['verb'],
  destination: string,
  started: number,
  fields: Partial<MqttSendEvent>,
): void {
  s.emit({
    binding: 'mqtt',
    verb,
    destination,
    outcome: 'sent',
    bytes: 0,
    ...fields,
    ms: Math.max(0, s.now() - started),
  });
}

/** The bound context of `topic`: the binding's function, or SPEC.md §11b's canonical one. */
export function contextOf(o: MqttBindingOptions, topic: string): string | Uint8Array {
  if (o.context) return o.context(topic);
  return bindingContext('mqtt', topic, o.limits ? { limits: o.limits } : {});
}

/** A policy whose `match` strings are MQTT topic filters, as functions core understands. */
export function mqttPolicy(policy: DestinationPolicy[]): DestinationPolicy[] {
  if (!Array.isArray(policy))
    throw new BlindwireError(ErrorCode.InvalidArgument, '"policy" expected an array');
  return policy.map((p, i) => {
    if (typeof p !== 'object' || p === null || typeof p.match !== 'string') return p;
    const { matches } = compileTopicFilter(p.match, `policy[${i}].match`);
    return { ...p, match: matches };
  });
}

/** What a consume event gains to become the binding's. */
const mqttSubscribeEvent = { binding: 'mqtt', verb: 'subscribe' } as const;

/** A core consumer for one subscription (every option checked now). */
export function consumerFor(
  s: Shared,
  policy: DestinationPolicy[] | undefined,
  handler: (m: Delivered) => unknown,
  retry: RetryOptions,
): Consumer {
  const o = s.o;
  const co: ConsumerOptions = {
    policy: mqttPolicy(policy ?? o.policy ?? [{ match: '#' }]),
    context: (topic) => s.context(topic),
    replay: s.replay,
    handler,
    now: s.now,
    retry,
  };
  // No listener (the one `emit` calls, captured at creation), no consume events to
  // build. Core makes a fresh event per call, so it becomes the binding's event in place.
  if (s.listening) co.onEvent = (e) => s.emit(Object.assign(e, mqttSubscribeEvent));
  const copy = <K extends keyof ConsumerOptions>(k: K, v: ConsumerOptions[K] | undefined) => {
    if (v !== undefined) co[k] = v;
  };
  copy('recipient', o.recipient);
  copy('keySource', o.keySource);
  copy('revokedKids', o.revokedKids);
  copy('trustedSenders', o.trustedSenders);
  copy('resolveSender', o.resolveSender);
  copy('replayLeaseMs', o.replayLeaseMs);
  copy('eventsIncludeSender', o.eventsIncludeSender);
  copy('clockSkew', o.clockSkew);
  copy('limits', o.limits);
  copy('backend', o.backend);
  return createConsumer(co);
}

/** A client error as ERR_TRANSPORT with its cause; a BlindwireError passes unchanged. */
export function transportError(what: string, e: unknown): BlindwireError {
  if (isBlindwireError(e)) return e;
  return new BlindwireError(ErrorCode.Transport, `${what} failed`, { cause: e });
}
