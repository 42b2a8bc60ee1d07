/**
 * What the binding uses of mqtt.js (`^5`), typed structurally so that any
 * version of the range fits without importing it, and the binding's options,
 * results and events (SPEC.md §7b, §11b, §11c).
 */
import type {
  AeadName,
  ConsumeEvent,
  CryptoBackend,
  Delivered,
  DestinationPolicy,
  Limits,
  Padding,
  Recipient,
  ReplayStore,
  RetryOptions,
} from '@blindwire/core';
import type { BindingOpeningOptions, BindingSealingOptions } from '@blindwire/core/internal';

/** An MQTT quality-of-service level. */
export type QoS = 0 | 1 | 2;

/** MQTT 5 PUBLISH properties, as mqtt.js takes and gives them (only what is used). */
export interface MqttPublishProperties {
  payloadFormatIndicator?: boolean | undefined;
  messageExpiryInterval?: number | undefined;
  contentType?: string | undefined;
  responseTopic?: string | undefined;
  correlationData?: Buffer | undefined;
  userProperties?: Record<string, string | string[]> | undefined;
}

/** A PUBLISH packet as mqtt.js hands it to `handleMessage` and `message` listeners. */
export interface MqttPublishPacketLike {
  topic: string;
  payload: Uint8Array | string;
  qos: QoS;
  dup?: boolean;
  retain?: boolean;
  messageId?: number | undefined;
  properties?: MqttPublishProperties | undefined;
}

/** Any packet mqtt.js reports with `packetreceive` (acknowledgements are read for their reason code). */
export interface MqttPacketLike {
  cmd: string;
  messageId?: number | undefined;
  reasonCode?: number | undefined;
}

/** The mqtt.js publish options the binding passes through. */
export interface MqttClientPublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: MqttPublishProperties;
}

/** The mqtt.js subscribe options the binding passes through. */
export interface MqttClientSubscribeOptions {
  qos: QoS;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

/** mqtt.js's `MqttClient` (`mqtt.connect()` / `connectAsync()`), as far as used. */
export interface MqttClientLike {
  options: { protocolVersion?: number | undefined; clientId?: string | undefined };
  publish(
    topic: string,
    message: Buffer,
    opts: MqttClientPublishOptions,
    callback: (error?: Error, packet?: unknown) => void,
  ): unknown;
  subscribe(
    topic: string,
    opts: MqttClientSubscribeOptions,
    callback: (error: Error | null, granted?: { topic: string; qos: number }[]) => void,
  ): unknown;
  unsubscribe(topic: string, opts: object, callback: (error?: Error) => void): unknown;
  /**
   * mqtt.js calls it for every PUBLISH after the `message` event and sends
   * the PUBACK (QoS 1) or PUBCOMP (QoS 2) when its callback is called; the
   * binding's `handleMessage` replaces it (see `MqttBinding.handleMessage`).
   */
  handleMessage(packet: MqttPublishPacketLike, callback: (error?: Error) => void): void;
  on(
    event: 'message',
    listener: (topic: string, payload: Buffer, packet: MqttPublishPacketLike) => void,
  ): unknown;
  on(event: 'packetreceive', listener: (packet: MqttPacketLike) => void): unknown;
  on(event: 'connect', listener: (connack: { properties?: ConnackProperties }) => void): unknown;
  removeListener(
    event: 'message',
    listener: (topic: string, payload: Buffer, packet: MqttPublishPacketLike) => void,
  ): unknown;
}

/** What the binding reads of a CONNACK (MQTT 5): the server's largest packet. */
export interface ConnackProperties {
  maximumPacketSize?: number | undefined;
}

/** The binding's operations, as events name them. */
export type MqttVerb = 'publish' | 'subscribe' | 'dead-letter' | 'request' | 'respond' | 'ack';

/** A subscription's disposition (core's `ConsumeEvent`). */
export interface MqttConsumeEvent extends ConsumeEvent {
  binding: 'mqtt';
  verb: 'subscribe';
}

/**
 * A message sent (or not): publish, a dead-letter copy, a request, a
 * response; or `ack`: a subscription's message settled, its PUBACK (QoS 1)
 * or PUBCOMP (QoS 2) handed to mqtt.js (`sent`), or left unacknowledged
 * when the subscription stopped (`failed`). Metadata only.
 */
export interface MqttSendEvent {
  binding: 'mqtt';
  verb: 'publish' | 'dead-letter' | 'request' | 'respond' | 'ack';
  /** The topic written to. */
  destination: string;
  /** `no-subscribers`: the broker answered reason code 0x10 (MQTT 5): nobody received it. */
  outcome: 'sent' | 'failed' | 'no-subscribers';
  code?: string;
  messageId?: string;
  bytes: number;
  ms: number;
}

/** What the binding reports to `onEvent` for each send and each delivery: no payload, no secret. */
export type MqttEvent = MqttConsumeEvent | MqttSendEvent;

/** A recipient: a key or identity, or a name that `resolveRecipient` turns into one. */
export type To = Recipient | string | (Recipient | string)[];

/**
 * Options of `createMqttBinding`: this endpoint's identity, keys and trust, and the topics'
 * policies.
 */
export interface MqttBindingOptions extends BindingSealingOptions, BindingOpeningOptions {
  /** Shared by every consumer of the messages (default: one memory store per binding). */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  /** Default policy of subscribe; `match` is an MQTT topic filter (`+`, `#`) or a function. */
  policy?: DestinationPolicy[];
  /** The bound context of a topic (default `bindingContext('mqtt', topic)`). */
  context?: (topic: string) => string | Uint8Array;
  /**
   * A second connected client for dead-letter copies: the subscribing client
   * cannot wait for the PUBACK of a copy while it holds the original.
   */
  deadLetterClient?: MqttClientLike;
  /** Dead-letter copies go to `<prefix><topic>` (default `bw-dlq/`). */
  deadLetterPrefix?: string;
  /** The topic `request` receives responses on (default `bw-reply/<random>`). */
  responseTopic?: string;
  /** The largest PUBLISH packet in bytes (default the server's CONNACK Maximum Packet Size, else MQTT's). */
  maxPacketBytes?: number;
  onEvent?: (e: MqttEvent) => void;
  eventsIncludeSender?: boolean;
  retry?: RetryOptions;
  clockSkew?: number;
  limits?: Partial<Limits>;
  backend?: CryptoBackend;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Sealing defaults. */
  ttl?: number;
  padding?: Padding;
  aead?: AeadName;
}

/** Options of `publish`: the recipients and the envelope's choices. */
export interface PublishOptions {
  to: To;
  contentType?: string;
  ttl?: number;
  claims?: Record<string, string | number>;
  /** Default 1. */
  qos?: QoS;
  /** Default false. A retained envelope reaches every later subscriber (see the README). */
  retain?: boolean;
  /** MQTT 5: set Message Expiry Interval from the envelope's expiry (default true). */
  expiry?: boolean;
  /** MQTT 5 user properties (never `bw-*` names; never secrets; keep them tiny). */
  userProperties?: Record<string, string>;
  /** The message id (16 bytes or 32 hex digits; default random): only to publish one message again. */
  messageId?: Uint8Array | string;
}

/** A sealed publish: the message id and the envelope's size. */
export interface PublishResult {
  messageId: string;
  /** The envelope's size. */
  bytes: number;
  /** MQTT 5, QoS 1 and 2: the broker's reason code (0 success, 16 no matching subscribers). */
  reasonCode?: number;
}

/** Options of `request`: those of `publish`, and how long to wait for the answer. */
export interface RequestOptions extends Omit<PublishOptions, 'retain'> {
  /** How long to wait for the response, ms (default 5000). */
  timeout?: number;
}

/** The answer to a `request`, opened and verified. */
export interface RequestResult {
  payload: Uint8Array;
  contentType?: string;
  /** The response's id. */
  messageId: string;
  /** The request's message id. */
  requestId: string;
  /** Who answered: the responder's name as the response's key schedule proves it. */
  responder: string;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Default 1. */
  qos?: QoS;
  policy?: DestinationPolicy[];
  /** Attempts in process before a transient failure is dead-lettered (default retry.maxAttempts, 5). */
  maxAttempts?: number;
  /** Overrides the binding's `deadLetterClient`. */
  deadLetterClient?: MqttClientLike;
  /** Overrides the binding's `deadLetterPrefix`. */
  deadLetterPrefix?: string;
  /** MQTT 5 subscription options. */
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

/** Counters of a subscription, by outcome. */
export interface SubscribeStats {
  received: number;
  acked: number;
  deadLettered: number;
  /** In-process retries (transient failures and in-flight waits). */
  retried: number;
  /** Dead-letter writes that failed and were tried again. */
  deadLetterFailed: number;
  /** Left unacknowledged when the subscription stopped: the broker sends them again on the next session. */
  leftUnacked: number;
}

/** A sealed subscription: its counters, and how to end it. */
export interface MqttSubscription {
  /** The filter as subscribed (a `$share/<group>/` prefix included). */
  readonly filter: string;
  /** The QoS the broker granted. */
  readonly qos: number;
  readonly stats: Readonly<SubscribeStats>;
  /**
   * UNSUBSCRIBE, then waits for the message being handled to settle;
   * messages that arrive afterwards are left unacknowledged.
   */
  unsubscribe(): Promise<void>;
}

/** Receives each delivered message, opened and verified; the PUBACK waits until it settles. */
export type Handler = (m: Delivered) => unknown;

/** A responder's answer: bytes, text, or both with a content type. */
export type Answer = Uint8Array | string | { payload: Uint8Array | string; contentType?: string };

/** Answers each request: the returned payload is sealed as the response. */
export type RespondHandler = (m: Delivered) => Answer | Promise<Answer>;

/** Options of `respond`. */
export interface RespondOptions extends SubscribeOptions {
  /** The response's ttl in seconds (default the binding's). */
  ttl?: number;
  /** QoS of the response (default 1). */
  responseQos?: QoS;
}
