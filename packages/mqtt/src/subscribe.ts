/**
 * `subscribe(filter, handler, options)` (SPEC.md §7b, §11b): each message the
 * filter matches goes through core's consumer pipeline under the bound
 * context of its concrete topic (a `$share/<group>/` prefix only selects the
 * session that receives it), and its acknowledgement waits in the router
 * (router.ts) for the disposition. MQTT has no delivery count and no
 * dead-letter queue, so: ack -> PUBACK / PUBCOMP after the commit; retry and
 * in-flight -> retried in process after the delay, the acknowledgement held
 * (attempt 1, or 2 for a message the broker sent again with DUP, plus one per
 * retry); dead-letter -> the unchanged copy published to `<prefix><topic>`
 * through the dead-letter client and its PUBACK awaited, then the
 * acknowledgement; a failed copy is written again after a pause, never
 * acknowledged without it. A subscription that stops leaves what it holds
 * unacknowledged, so that the broker sends it again to the session.
 */
import { BlindwireError, ErrorCode, type Disposition } from '@blindwire/core';
import {
  DEFAULT_DEAD_LETTER_PREFIX,
  compileTopicFilter,
  filterMatchesPrefix,
  payloadBytes,
} from './carrier.js';
import {
  checkClient,
  checkPrefix,
  consumerFor,
  sendEvent,
  transportError,
  type Shared,
} from './common.js';
import { writeDeadLetter } from './dead-letter.js';
import { LeftUnacknowledged, type Route, type Router } from './router.js';
import { qosOf } from './seal.js';
import type {
  Handler,
  MqttClientLike,
  MqttPublishPacketLike,
  MqttSubscription,
  SubscribeOptions,
  SubscribeStats,
} from './types.js';

/** What `respond` needs of a delivery: the packet it came in (response topic, correlation data). */
export type PacketOf = (bytes: Uint8Array) => MqttPublishPacketLike | undefined;

interface Settings {
  dlClient: MqttClientLike;
  dlPrefix: string;
  backoffMs: number;
}

function settingsOf(s: Shared, filter: string, o: SubscribeOptions): Settings {
  const dl = o.deadLetterClient ?? s.o.deadLetterClient;
  if (dl === undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterClient" expected a second connected client for dead-letter copies (the subscribing client cannot await a PUBACK while it holds a message)',
    );
  checkClient('deadLetterClient', dl);
  if (dl === s.client)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterClient" expected another client than the subscribing one',
    );
  const dlPrefix = checkPrefix(
    o.deadLetterPrefix ?? s.o.deadLetterPrefix ?? DEFAULT_DEAD_LETTER_PREFIX,
  );
  if (filterMatchesPrefix(filter, dlPrefix))
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"filter" expected a filter that matches no dead-letter topic ${dlPrefix}... (a copy would loop)`,
    );
  return { dlClient: dl, dlPrefix, backoffMs: s.o.retry?.backoffMs ?? 1000 };
}

/** The client's SUBSCRIBE, awaited; the granted QoS (ERR_TRANSPORT when refused). */
function sendSubscribe(s: Shared, filter: string, o: SubscribeOptions): Promise<number> {
  const qos = qosOf(o.qos);
  const options = {
    qos,
    ...(s.v5 && o.noLocal !== undefined ? { nl: o.noLocal } : {}),
    ...(s.v5 && o.retainAsPublished !== undefined ? { rap: o.retainAsPublished } : {}),
    ...(s.v5 && o.retainHandling !== undefined ? { rh: o.retainHandling } : {}),
  };
  return new Promise((resolve, reject) => {
    try {
      s.client.subscribe(filter, options, (err, granted) => {
        const g = granted?.[0]?.qos;
        if (err || typeof g !== 'number' || g >= 0x80)
          return reject(transportError('MQTT subscribe', err ?? new Error(`refused (${g})`)));
        resolve(g);
      });
    } catch (e) {
      reject(transportError('MQTT subscribe', e));
    }
  });
}

function sendUnsubscribe(client: MqttClientLike, filter: string): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      client.unsubscribe(filter, {}, (err) => (err ? reject(err) : resolve()));
    } catch (e) {
      reject(e as Error);
    }
  });
}

export async function subscribe(
  s: Shared,
  router: Router,
  filter: string,
  handler: Handler,
  o: SubscribeOptions = {},
  remember?: (bytes: Uint8Array, packet: MqttPublishPacketLike) => void,
): Promise<MqttSubscription> {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object');
  const tf = compileTopicFilter(filter);
  if (typeof handler !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"handler" expected a function');
  if (s.client.handleMessage !== router.handleMessage)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"client.handleMessage" expected the binding\'s: client.handleMessage = bw.handleMessage (acknowledgements then wait for open, handler and commit)',
    );
  qosOf(o.qos);
  const c = settingsOf(s, tf.filter, o);
  const maxAttempts = o.maxAttempts ?? s.o.retry?.maxAttempts ?? 5;
  const pipeline = consumerFor(s, o.policy, handler, { ...s.o.retry, maxAttempts });
  const stats: SubscribeStats = {
    received: 0,
    acked: 0,
    deadLettered: 0,
    retried: 0,
    deadLetterFailed: 0,
    leftUnacked: 0,
  };
  let stopped = false;
  const wakers = new Set<() => void>();
  const active = new Set<Promise<void>>();
  /** Waits `ms`, or less when the subscription stops. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(t);
        wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, Math.max(0, ms));
      wakers.add(wake);
    });
  const leave = (): never => {
    stats.leftUnacked++;
    throw new LeftUnacknowledged();
  };
  const deadLetter = async (d: Disposition, topic: string, bytes: Uint8Array) => {
    const dl = { bytes, reason: d.reason ?? 'ERR_HANDLER', messageId: d.messageId };
    for (;;) {
      try {
        await writeDeadLetter(s, c.dlClient, c.dlPrefix + topic, dl);
        stats.deadLettered++;
        return;
      } catch {
        stats.deadLetterFailed++;
        await pause(c.backoffMs);
        if (stopped) leave();
      }
    }
  };
  const handle = async (packet: MqttPublishPacketLike, seen: { id?: string }): Promise<void> => {
    stats.received++;
    const bytes = payloadBytes(packet.payload);
    remember?.(bytes, packet);
    let attempt = packet.dup === true ? 2 : 1;
    for (;;) {
      if (stopped) leave();
      const delivery = { bytes, destination: packet.topic, attempt, receivedAt: s.now() };
      const d = await pipeline.process(delivery);
      if (d.messageId !== undefined) seen.id = d.messageId;
      if (d.action === 'dead-letter') await deadLetter(d, packet.topic, bytes);
      if (d.action === 'ack' || d.action === 'dead-letter') {
        stats.acked++;
        return;
      }
      // retry and in-flight: MQTT redelivers only on a new connection, so wait here.
      stats.retried++;
      await pause(d.delayMs ?? c.backoffMs);
      if (d.action === 'retry') attempt++;
    }
  };
  /** The settlement's event: acknowledged, or left unacknowledged (metadata only). */
  const settledEvent = (
    packet: MqttPublishPacketLike,
    started: number,
    seen: { id?: string },
    acked: boolean,
  ) =>
    sendEvent(s, 'ack', packet.topic, started, {
      outcome: acked ? 'sent' : 'failed',
      bytes: payloadBytes(packet.payload).length,
      ...(seen.id === undefined ? {} : { messageId: seen.id }),
    });
  const route: Route = {
    filter: tf,
    handle(packet) {
      const started = s.now();
      const seen: { id?: string } = {};
      const p = handle(packet, seen).then(
        () => settledEvent(packet, started, seen, true),
        (e: unknown) => {
          settledEvent(packet, started, seen, false);
          throw e;
        },
      );
      active.add(p);
      const forget = () => active.delete(p);
      p.then(forget, forget);
      return p;
    },
  };
  router.add(route);
  let qos: number;
  try {
    qos = await sendSubscribe(s, filter, o);
  } catch (e) {
    router.close(route);
    throw e;
  }
  let done: Promise<void> | undefined;
  return {
    filter,
    qos,
    stats,
    unsubscribe() {
      done ??= (async () => {
        stopped = true;
        router.close(route);
        for (const wake of [...wakers]) wake();
        let failed: unknown;
        await sendUnsubscribe(s.client, filter).catch((e: unknown) => (failed = e));
        while (active.size > 0) await Promise.allSettled([...active]);
        if (failed !== undefined) throw transportError('MQTT unsubscribe', failed);
      })();
      return done;
    },
  };
}
