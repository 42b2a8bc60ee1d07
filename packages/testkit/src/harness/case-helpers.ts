/**
 * What the conformance cases share (SPEC.md §7b): sealing a hand-made
 * envelope for a target, the events of one id, and the workload every
 * workload-driven case generates from a target.
 */
import type {
  ConformanceTarget,
  ConsumeEventLike,
  InProcessConsumer,
} from './conformance-types.js';
import type { SenderLike } from './types.js';
import { generateWorkload, type Workload, type WorkloadSpec } from './workload.js';

/** Seals `payload` to the target's consumer, bound to `context` (default: the work destination's). */
export function sealFor(
  t: ConformanceTarget,
  payload: string | Uint8Array,
  o: { context?: string | Uint8Array; sender?: SenderLike } = {},
): Promise<{ envelope: Uint8Array; messageId: string }> {
  return t.core.seal(typeof payload === 'string' ? new TextEncoder().encode(payload) : payload, {
    sender: o.sender ?? t.sender,
    recipients: t.recipients,
    context: o.context ?? t.adapter.context(t.adapter.destination),
  });
}

/** Every consume event of `consumers` for `messageId`. */
export function eventsOf(consumers: InProcessConsumer[], messageId: string): ConsumeEventLike[] {
  return consumers.flatMap((c) => c.events.filter((e) => e.messageId === messageId));
}

/** A final disposition of one delivery: committed (`deliver`) or turned away as done (`duplicate`). */
export const isFinal = (e: ConsumeEventLike): boolean =>
  e.outcome === 'deliver' || e.outcome === 'duplicate';

/** The harness workload for a target, every foreign context in play. */
export function workloadFor(t: ConformanceTarget, spec: WorkloadSpec): Promise<Workload> {
  return generateWorkload(spec, {
    core: t.core,
    sender: t.sender,
    disallowedSender: t.disallowedSender,
    recipients: t.recipients,
    adapter: t.adapter,
    foreignContexts: Object.values(t.foreignContexts),
  });
}
