/**
 * How a subscription holds each message until its disposition (SPEC.md
 * §7b): core's pipeline opens it, bound to its concrete topic; ack -> the
 * router's callback (PUBACK / PUBCOMP) after the commit; retry and in-flight
 * -> opened again in process after the delay, the acknowledgement held
 * (attempt 1, or 2 for a message the broker sent again with DUP, plus one
 * per retry); dead-letter -> the unchanged copy written through the
 * dead-letter client and its PUBACK awaited, then the acknowledgement; a
 * failed copy is written again after a pause, never acknowledged without it.
 * Once stopped, what waits is left unacknowledged (the broker sends it again
 * to the session). An `ack` event reports each settlement.
 */
import type { Consumer, Disposition } from '@blindwire/core';
import { payloadBytes } from './carrier.js';
import { sendEvent, type Shared } from './common.js';
import { writeDeadLetter } from './dead-letter.js';
import { LeftUnacknowledged } from './router.js';
import type { MqttClientLike, MqttPublishPacketLike, SubscribeStats } from './types.js';

/** A subscription's checked settings. */
export interface Settings {
  dlClient: MqttClientLike;
  dlPrefix: string;
  backoffMs: number;
}

export interface Holder {
  /** Resolves when the message may be acknowledged; rejects to leave it unacknowledged. */
  handle(packet: MqttPublishPacketLike): Promise<void>;
  stats: SubscribeStats;
  /** Stops: pauses end now, and what waits is left unacknowledged. */
  stop(): void;
  /** Resolves once no message is held. */
  idle(): Promise<void>;
}

/** Sleeps that `wakeAll` ends early (a subscription that stops). */
function pauses() {
  const wakers = new Set<() => void>();
  return {
    pause: (ms: number) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(t);
          wakers.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, Math.max(0, ms));
        wakers.add(wake);
      }),
    wakeAll: () => {
      for (const wake of [...wakers]) wake();
    },
  };
}

const newStats = (): SubscribeStats => ({
  received: 0,
  acked: 0,
  deadLettered: 0,
  retried: 0,
  deadLetterFailed: 0,
  leftUnacked: 0,
});

/** The settlement's event: acknowledged, or left unacknowledged (metadata only). */
function settledEvent(
  s: Shared,
  packet: MqttPublishPacketLike,
  started: number,
  id: string | undefined,
  acked: boolean,
): void {
  sendEvent(s, 'ack', packet.topic, started, {
    outcome: acked ? 'sent' : 'failed',
    bytes: payloadBytes(packet.payload).length,
    ...(id === undefined ? {} : { messageId: id }),
  });
}

export function createHolder(
  s: Shared,
  c: Settings,
  pipeline: Consumer,
  remember?: (bytes: Uint8Array, packet: MqttPublishPacketLike) => void,
): Holder {
  const stats = newStats();
  let stopped = false;
  const { pause, wakeAll } = pauses();
  const active = new Set<Promise<void>>();
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
  const hold = async (packet: MqttPublishPacketLike, seen: { id?: string }): Promise<void> => {
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
  return {
    stats,
    handle(packet) {
      const started = s.now();
      const seen: { id?: string } = {};
      const p = hold(packet, seen).then(
        () => settledEvent(s, packet, started, seen.id, true),
        (e: unknown) => {
          settledEvent(s, packet, started, seen.id, false);
          throw e;
        },
      );
      active.add(p);
      const forget = () => active.delete(p);
      p.then(forget, forget);
      return p;
    },
    stop() {
      stopped = true;
      wakeAll();
    },
    async idle() {
      while (active.size > 0) await Promise.allSettled([...active]);
    },
  };
}
