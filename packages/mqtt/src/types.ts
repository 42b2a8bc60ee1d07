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
  PublicIdentity,
  Recipient,
  RecipientKey,
  RecipientKeySource,
  ReplayStore,
  RetryOptions,
  Sender,
  SenderResolver,
} from '@blindwire/core';

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

export interface MqttClientPublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: MqttPublishProperties;
}

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

export type MqttEvent = MqttConsumeEvent | MqttSendEvent;

/** A recipient: a key or identity, or a name that `resolveRecipient` turns into one. */
export type To = Recipient | string | (Recipient | string)[];

export interface MqttBindingOptions {
  /** The sender of publish and request (an `Identity` fits). */
  sender?: Sender;
  resolveRecipient?: (name: string) => Recipient | Promise<Recipient>;
  /** This endpoint's key pair(s) for opening; or `keySource`. */
  recipient?: RecipientKey | RecipientKey[];
  keySource?: RecipientKeySource;
  revokedKids?: Iterable<string>;
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  resolveSender?: SenderResolver;
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

export interface PublishResult {
  messageId: string;
  /** The envelope's size. */
  bytes: number;
  /** MQTT 5, QoS 1 and 2: the broker's reason code (0 success, 16 no matching subscribers). */
  reasonCode?: number;
}

export interface RequestOptions extends Omit<PublishOptions, 'retain'> {
  /** How long to wait for the response, ms (default 5000). */
  timeout?: number;
}

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

export type Handler = (m: Delivered) => unknown;

/** A responder's answer: bytes, text, or both with a content type. */
export type Answer = Uint8Array | string | { payload: Uint8Array | string; contentType?: string };

export type RespondHandler = (m: Delivered) => Answer | Promise<Answer>;

export interface RespondOptions extends SubscribeOptions {
  /** The response's ttl in seconds (default the binding's). */
  ttl?: number;
  /** QoS of the response (default 1). */
  responseQos?: QoS;
}
