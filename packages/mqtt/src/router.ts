/**
 * The binding's `handleMessage` (SPEC.md §7b): mqtt.js calls it for every
 * PUBLISH it receives, one at a time, and sends the PUBACK (QoS 1) or PUBCOMP
 * (QoS 2) only when its callback is called. A message on a topic one of the
 * binding's live subscriptions matches (the first, in subscription order) is
 * handled there, and the callback waits for its disposition: acknowledged
 * after the commit or after its dead-letter copy was stored; called with an
 * error, which mqtt.js answers with no acknowledgement at all, when the
 * subscription stopped first (the broker sends it again on the next
 * connection of the session). A message on a topic only a stopped
 * subscription matches is left unacknowledged the same way; any other
 * message (the binding's response topic, the application's own
 * subscriptions) is acknowledged at once, as mqtt.js's default does.
 */
import type { TopicFilter } from './carrier.js';
import type { MqttPublishPacketLike } from './types.js';

/** A subscription as the router sees it. */
export interface Route {
  filter: TopicFilter;
  /** Resolves when the message may be acknowledged; rejects to leave it unacknowledged. */
  handle(packet: MqttPublishPacketLike): Promise<void>;
}

export interface Router {
  /** Install as the client's `handleMessage`. */
  handleMessage(packet: MqttPublishPacketLike, callback: (error?: Error) => void): void;
  add(r: Route): void;
  /** Stops routing to `r`: what only it matches is left unacknowledged from now on. */
  close(r: Route): void;
  /** Topics acknowledged at once whatever matches them (the binding's response topic). */
  readonly passthrough: Set<string>;
}

/** The error a held message's callback gets when it is left unacknowledged. */
export class LeftUnacknowledged extends Error {
  constructor(why = 'the subscription stopped') {
    super(`left unacknowledged: ${why}`);
  }
}

export function createRouter(): Router {
  const live: Route[] = [];
  const closed: Route[] = [];
  const passthrough = new Set<string>();
  return {
    passthrough,
    add(r) {
      live.push(r);
    },
    close(r) {
      const i = live.indexOf(r);
      if (i >= 0) live.splice(i, 1);
      closed.push(r);
    },
    handleMessage(packet, callback) {
      const topic = packet?.topic;
      // No topic (an unresolved alias): nothing to route by, so never acknowledged unread.
      if (typeof topic !== 'string' || topic === '')
        return callback(new LeftUnacknowledged('no topic'));
      if (passthrough.has(topic)) return callback();
      const route = live.find((r) => r.filter.matches(topic));
      if (route === undefined) {
        if (closed.some((r) => r.filter.matches(topic))) return callback(new LeftUnacknowledged());
        return callback();
      }
      route.handle(packet).then(
        () => callback(),
        (e: unknown) => callback(e instanceof Error ? e : new LeftUnacknowledged()),
      );
    },
  };
}
