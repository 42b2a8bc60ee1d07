/**
 * A consumer-group member as the coordinator keeps it, the group states, and
 * the protocol vote of a completed JoinGroup (Kafka's GroupMetadata
 * `selectProtocol`: among the protocols every member supports, each member
 * votes for the first of its own list; the most votes wins, the leader's
 * order breaking ties).
 */

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocol: string;
  leaderId: string;
  memberId: string;
  members: { memberId: string; metadata: Buffer }[];
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface Member {
  readonly id: string;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  sessionTimer?: NodeJS.Timeout | undefined;
  pendingJoin?: ((result: JoinResult) => void) | undefined;
  pendingSync?: ((result: { errorCode: number; assignment: Buffer }) => void) | undefined;
}

/** A coordinator check that failed, with the protocol error code to answer. */
export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  constructor(readonly errorCode: number) {
    super(`coordinator error ${errorCode}`);
  }
}

/** The protocol of the new generation; `members` is non-empty and compatible. */
export function electProtocol(members: readonly Member[]): string {
  const candidates = members[0]!.protocols
    .map((p) => p.name)
    .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const m of members) {
    const choice = m.protocols.find((p) => votes.has(p.name))!.name;
    votes.set(choice, votes.get(choice)! + 1);
  }
  let best = candidates[0]!;
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
  return best;
}
