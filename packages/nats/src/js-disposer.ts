/**
 * The JetStream disposer (SPEC.md §7b): a consumer disposition as JetStream
 * acknowledgements: ack after the commit; retry and in-flight -> `nak(delay)`,
 * never `term`; dead-letter -> the unchanged copy written (PubAck awaited),
 * then `term` (with its reason from nats-server 2.10), or `nak` if the write
 * failed. At the last delivery (`max_deliver`) nothing is nak'd into
 * abandonment: the message is resolved here, kept leased.
 */
import type { Disposition } from '@blindwire/core';
import type { Shared } from './common.js';
import { writeDeadLetterJs } from './dead-letter.js';
import { serverFeatures } from './server.js';
import type { ConsumeStats, JetStreamLike, JsMsgLike, NatsConnectionLike } from './types.js';

/** Runs the pipeline again on the same delivery (an in-flight id at the last delivery). */
export type Redo = () => Promise<Disposition>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * SPEC.md §7b: a disposition as JetStream acknowledgements, counted in `stats`.
 * At the last delivery the server allows (`max_deliver`) a `nak` is never
 * answered: an id in flight elsewhere is opened again here and a failed
 * dead-letter write is retried here, the message kept leased meanwhile,
 * until it resolves, the connection closes or the run is stopped.
 */
export function jsDisposer(
  s: Shared,
  nc: NatsConnectionLike,
  js: JetStreamLike,
  deadLetterSubject: string,
  stats: ConsumeStats,
  maxDeliver: number | undefined,
  stopping: () => boolean,
): (d: Disposition, m: JsMsgLike, bytes: Uint8Array, redo: Redo) => Promise<void> {
  const backoffMs = s.o.retry?.backoffMs ?? 1000;
  const maxBackoffMs = s.o.retry?.maxBackoffMs ?? 60_000;
  const { termReason } = serverFeatures(nc);
  // A wait ends when the connection closes or the run is stopped.
  const open = () => nc.isClosed?.() !== true && !stopping();
  return async (first, m, bytes, redo) => {
    const last = maxDeliver !== undefined && m.info.deliveryCount >= maxDeliver;
    let d = first;
    while (last && d.action === 'in-flight' && open()) {
      stats.naked++; // counted as a nak the server would have answered
      await sleep(d.delayMs ?? backoffMs);
      d = await redo();
    }
    if (d.action === 'ack') {
      m.ack();
      stats.acked++;
      return;
    }
    if (d.action === 'retry' || d.action === 'in-flight') {
      // Never term: the broker redelivers after the delay.
      m.nak(d.delayMs);
      stats.naked++;
      return;
    }
    const reason = d.reason ?? 'ERR_HANDLER';
    for (let failures = 0; ;) {
      try {
        await writeDeadLetterJs(
          s,
          js,
          deadLetterSubject,
          m,
          { bytes, reason, messageId: d.messageId },
          nc.info?.max_payload,
        );
        break;
      } catch {
        stats.deadLetterFailed++;
        failures++;
        if (!last || !open()) {
          // Not terminated: the server redelivers and the write is tried again.
          m.nak(backoffMs);
          stats.naked++;
          return;
        }
        // No redelivery left: retry here (the key dedups a repeated copy).
        await sleep(Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(failures - 1, 20)));
      }
    }
    stats.deadLettered++;
    // A term reason reaches advisories from nats-server 2.10; 2.9 gets a bare +TERM.
    if (termReason) m.term(reason);
    else m.term();
    stats.termed++;
  };
}
