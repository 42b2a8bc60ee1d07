/**
 * XACK coalescing for one consume run (SPEC.md §7b: an entry is acked after
 * its commit). Each settled entry asks for its ack; the ids asked for in the
 * same turn, and those asked for while an XACK is on the wire, leave together
 * as one `XACK key group id...` as soon as the previous one answered, so at
 * most one XACK of a run is in flight and none waits for a timer. An entry's
 * ack resolves when its XACK answered; when that XACK fails, every entry in it
 * stays pending (reclaimed later, found done by the replay store, acked).
 */
import { xack } from './streams.js';
import type { Wire } from './wire.js';

interface Waiting {
  id: string;
  acked: () => void;
  failed: (e: unknown) => void;
}

/** The ack function of a run on `stream` for `group`. */
export function acker(w: Wire, stream: string, group: string): (id: string) => Promise<void> {
  let queued: Waiting[] = [];
  let sending = false;
  const send = async () => {
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        await xack(
          w,
          stream,
          group,
          batch.map((b) => b.id),
        );
      } catch (e) {
        for (const b of batch) b.failed(e);
        continue;
      }
      for (const b of batch) b.acked();
    }
    sending = false;
  };
  return (id) =>
    new Promise<void>((acked, failed) => {
      queued.push({ id, acked, failed });
      if (sending) return;
      sending = true;
      // After this turn's other settlements have asked too.
      queueMicrotask(() => void send());
    });
}
