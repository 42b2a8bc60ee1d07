/**
 * Shared set-up of the MQTT binding's integration tests against Mosquitto on
 * 127.0.0.1:1883: both ends of the mqtt.js range (5.0.0 through an npm alias,
 * and the latest 5.x), each speaking MQTT 5 and 3.1.1; unique topics per run;
 * a raw spy and a dead-letter reader with a persistent session of its own.
 */
import { randomBytes } from 'node:crypto';
import mqttLatest from 'mqtt';
import mqtt50 from 'mqtt5-0';
import type { MqttClientLike, MqttPublishPacketLike } from '../src/index.js';

export const URL = 'mqtt://127.0.0.1:1883';
export const RUN = randomBytes(4).toString('hex');
let n = 0;
/** A topic prefix of its own: `bwt/<run>/<n>`. */
export const fresh = (): string => `bwt/${RUN}/${++n}`;

export interface ConnectOptions {
  clientId?: string;
  /** A persistent session (clean false; MQTT 5: expiry 300 s). */
  persistent?: boolean;
}

export interface Variant {
  label: string;
  protocolVersion: 4 | 5;
  /** Connected. */
  connect(o?: ConnectOptions): Promise<MqttClientLike>;
  /**
   * Connecting: a resumed session's messages arrive right after the CONNACK,
   * so the hook and the subscriptions are set up in this tick.
   */
  open(o?: ConnectOptions): MqttClientLike;
}

type Connect = (url: string, o: Record<string, unknown>) => unknown;

function variant(label: string, connect: Connect, protocolVersion: 4 | 5): Variant {
  const open = (o: ConnectOptions = {}) => {
    const options: Record<string, unknown> = { protocolVersion, reconnectPeriod: 0 };
    if (o.clientId !== undefined) options.clientId = o.clientId;
    if (o.persistent === true) {
      options.clean = false;
      if (protocolVersion === 5) options.properties = { sessionExpiryInterval: 300 };
    }
    const c = connect(URL, options) as MqttClientLike;
    opened.push(c);
    return c;
  };
  return {
    label,
    protocolVersion,
    open,
    connect: async (o = {}) => {
      const c = open(o);
      await new Promise<void>((resolve, reject) => {
        const e = c as unknown as { once(ev: string, f: (x?: unknown) => void): void };
        e.once('connect', () => resolve());
        e.once('error', reject);
      });
      return c;
    },
  };
}

export const VARIANTS: Variant[] = [
  variant('mqtt.js latest, MQTT 5', mqttLatest.connect as Connect, 5),
  variant('mqtt.js latest, MQTT 3.1.1', mqttLatest.connect as Connect, 4),
  variant('mqtt.js 5.0.0, MQTT 5', mqtt50.connect as Connect, 5),
  variant('mqtt.js 5.0.0, MQTT 3.1.1', mqtt50.connect as Connect, 4),
];

const opened: MqttClientLike[] = [];

/** Ends every client the tests opened (forcibly: some hold messages on purpose). */
export async function closeAll(): Promise<void> {
  await Promise.all(
    opened
      .splice(0)
      .map(
        (c) =>
          new Promise<void>((r) =>
            (c as unknown as { end(f: boolean, cb: () => void): void }).end(true, r),
          ),
      ),
  );
}

/** Drops the connection without DISCONNECT, as a crash would. */
export function drop(c: MqttClientLike): Promise<void> {
  return new Promise((r) =>
    (c as unknown as { end(f: boolean, cb: () => void): void }).end(true, r),
  );
}

/** Ends a persistent session (connect clean, MQTT 5 expiry 0). */
export async function endSession(clientId: string): Promise<void> {
  const c = await mqttLatest.connectAsync(URL, { protocolVersion: 5, clientId, clean: true });
  await c.endAsync();
}

export interface Captured {
  topic: string;
  payload: Buffer;
  packet: MqttPublishPacketLike;
}

/** A raw MQTT 5 subscriber (QoS 1) that keeps every message of `filters`. */
export async function reader(
  filters: string[],
  o: ConnectOptions = {},
): Promise<{ got: Captured[]; client: MqttClientLike; end(): Promise<void> }> {
  const c = await mqttLatest.connectAsync(URL, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    ...(o.clientId === undefined ? {} : { clientId: o.clientId }),
    ...(o.persistent ? { clean: false, properties: { sessionExpiryInterval: 300 } } : {}),
  });
  const got: Captured[] = [];
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, payload, packet: packet as MqttPublishPacketLike }),
  );
  for (const f of filters) await c.subscribeAsync(f, { qos: 1 });
  return { got, client: c as unknown as MqttClientLike, end: () => c.endAsync() };
}

/** A raw MQTT 5 publisher: bytes unchanged, no hints. */
export async function rawPublisher(): Promise<{
  publish(topic: string, bytes: Uint8Array, qos?: 0 | 1 | 2, retain?: boolean): Promise<void>;
  end(): Promise<void>;
}> {
  const c = await mqttLatest.connectAsync(URL, { protocolVersion: 5, reconnectPeriod: 0 });
  return {
    publish: async (topic, bytes, qos = 1, retain = false) => {
      await c.publishAsync(topic, Buffer.from(bytes), { qos, retain });
    },
    end: () => c.endAsync(),
  };
}

/** Waits until `f` is true (polling every 20 ms), or fails after `ms`. */
export async function until(f: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
