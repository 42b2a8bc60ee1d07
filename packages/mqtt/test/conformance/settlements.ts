/**
 * What the broker holds unsettled for a run, counted from both ends (MQTT
 * has no query for it): every copy the adapter published to the work topic,
 * by message id (`-` for bytes that are no envelope), against every
 * acknowledgement a consumer handed to mqtt.js (the binding's `ack` event),
 * from the in-process consumers (in memory) and from every incarnation of
 * the child (one id per line in `<run.log>.acks`, appended). A redelivery
 * after a kill can count one copy of an id twice and so hide another copy of
 * the same id still queued: only replayed copies share an id, so a
 * premature zero can only leave a replay unconsumed, which the accounting's
 * duplicate count then reports.
 */
import { readFileSync } from 'node:fs';
import { inspect } from '@blindwire/core';

export interface Settlements {
  published(bytes: Uint8Array, messageId?: string): void;
  acked(messageId: string | undefined): void;
  pending(): number;
}

function idOf(bytes: Uint8Array): string {
  try {
    return inspect(bytes).messageId;
  } catch {
    return '-';
  }
}

export function createSettlements(acksPath: string): Settlements {
  const out = new Map<string, number>();
  const inProcess = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  return {
    published: (bytes, messageId) => void add(out, messageId ?? idOf(bytes)),
    acked: (messageId) => void add(inProcess, messageId ?? '-'),
    pending() {
      const acked = new Map(inProcess);
      let text = '';
      try {
        text = readFileSync(acksPath, 'utf8');
      } catch {
        // no child yet
      }
      const lines = text.split('\n');
      lines.pop(); // a torn last line is not an ack
      for (const l of lines) add(acked, l);
      let n = 0;
      for (const [id, k] of out) n += Math.max(0, k - (acked.get(id) ?? 0));
      return n;
    },
  };
}
