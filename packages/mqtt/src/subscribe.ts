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
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { DEFAULT_DEAD_LETTER_PREFIX, compileTopicFilter, filterMatchesPrefix } from './carrier.js';
import { checkClient, checkPrefix, consumerFor, transportError, type Shared } from './common.js';
import { createHolder, type Settings } from './holder.js';
import type { Route, Router } from './router.js';
import { qosOf } from './seal.js';
import type {
  Handler,
  MqttClientLike,
  MqttPublishPacketLike,
  MqttSubscription,
  SubscribeOptions,
} from './types.js';

/** What `respond` needs of a delivery: the packet it came in (response topic, correlation data). */
export type PacketOf = (bytes: Uint8Array) => MqttPublishPacketLike | undefined;

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
  const holder = createHolder(s, c, pipeline, remember);
  const route: Route = { filter: tf, handle: holder.handle };
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
    stats: holder.stats,
    unsubscribe() {
      done ??= (async () => {
        router.close(route);
        holder.stop();
        let failed: unknown;
        await sendUnsubscribe(s.client, filter).catch((e: unknown) => (failed = e));
        await holder.idle();
        if (failed !== undefined) throw transportError('MQTT unsubscribe', failed);
      })();
      return done;
    },
  };
}
