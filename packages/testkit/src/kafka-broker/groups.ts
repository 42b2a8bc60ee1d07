/**
 * The group coordinator: the classic consumer-group protocol that
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup and OffsetCommit drive (Kafka
 * protocol guide, "The Messages" of keys 8-16; the group states of Kafka's
 * GroupCoordinator: Empty, PreparingRebalance, CompletingRebalance, Stable).
 *
 * - A JoinGroup waits until every known member has rejoined, or until the
 *   largest rebalance timeout has passed (members that did not rejoin are
 *   removed); then the generation goes up, the leader (the previous one if
 *   still there, else the first member) receives every member's metadata and
 *   the others none.
 * - The SyncGroup of the leader carries the assignments; the other members'
 *   SyncGroup waits for it.
 * - Each member has a session timer, restarted by its requests; when it
 *   fires (a member that died without LeaveGroup), the member is removed
 *   and the group rebalances: the others learn it from REBALANCE_IN_PROGRESS
 *   on their next Heartbeat. A member waiting in JoinGroup is not expired.
 * - Committed offsets belong to the group and outlive its members.
 */
import { randomUUID } from 'node:crypto';
import { ERR } from './protocol.js';
import {
  CoordinatorError,
  electProtocol,
  type GroupState,
  type JoinResult,
  type Member,
} from './group-member.js';

export { CoordinatorError } from './group-member.js';
export type { GroupState, JoinResult, Member } from './group-member.js';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

export interface CoordinatorOptions {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Wait before completing the first rebalance of an empty group (Kafka: group.initial.rebalance.delay.ms). */
  initialRebalanceDelayMs: number;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocol: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  rebalanceTimer: NodeJS.Timeout | undefined;

  constructor(readonly id: string) {}
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly options: CoordinatorOptions) {}

  get(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }
  all(): Group[] {
    return [...this.groups.values()];
  }
  private obtain(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (g === undefined) this.groups.set(groupId, (g = new Group(groupId)));
    return g;
  }

  /** JoinGroup (key 11): resolves when the rebalance completes, or at once with an error. */
  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number) =>
      Promise.resolve({
        errorCode,
        generationId: -1,
        protocol: '',
        leaderId: '',
        memberId: req.memberId,
        members: [],
      });
    if (req.groupId === '') return fail(ERR.INVALID_GROUP_ID);
    const { minSessionTimeoutMs: lo, maxSessionTimeoutMs: hi } = this.options;
    if (req.sessionTimeoutMs < lo || req.sessionTimeoutMs > hi)
      return fail(ERR.INVALID_SESSION_TIMEOUT);
    const g = this.obtain(req.groupId);
    if (!this.compatible(g, req)) return fail(ERR.INCONSISTENT_GROUP_PROTOCOL);
    if (req.memberId !== '' && !g.members.has(req.memberId)) return fail(ERR.UNKNOWN_MEMBER_ID);
    const memberId = req.memberId || `${req.clientId}-${randomUUID()}`;
    const m = g.members.get(memberId) ?? this.addMember(g, memberId, req);
    Object.assign(m, {
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: req.protocols,
    });
    if (g.protocolType === null) g.protocolType = req.protocolType;
    return new Promise<JoinResult>((resolve) => {
      m.pendingJoin?.({ ...this.noResult(m.id), errorCode: ERR.REBALANCE_IN_PROGRESS });
      m.pendingJoin = resolve;
      this.stopSession(m);
      if (g.state !== 'PreparingRebalance') this.prepareRebalance(g);
      else this.tryCompleteJoin(g);
    });
  }

  private noResult(memberId: string): JoinResult {
    return {
      errorCode: ERR.NONE,
      generationId: -1,
      protocol: '',
      leaderId: '',
      memberId,
      members: [],
    };
  }

  private addMember(g: Group, id: string, req: JoinRequest): Member {
    const m: Member = {
      id,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: req.protocols,
      assignment: Buffer.alloc(0),
    };
    g.members.set(id, m);
    return m;
  }

  /** Same protocol type, and a protocol that every member (this one included) supports. */
  private compatible(g: Group, req: JoinRequest): boolean {
    if (req.protocols.length === 0 || req.protocolType === '') return false;
    if (g.members.size === 0) return true;
    if (g.protocolType !== req.protocolType) return false;
    const others = [...g.members.values()].filter((m) => m.id !== req.memberId);
    return req.protocols.some((p) =>
      others.every((m) => m.protocols.some((q) => q.name === p.name)),
    );
  }

  private prepareRebalance(g: Group): void {
    if (g.state === 'CompletingRebalance')
      for (const m of g.members.values())
        this.answerSync(m, ERR.REBALANCE_IN_PROGRESS, Buffer.alloc(0));
    const initial = g.state === 'Empty';
    g.state = 'PreparingRebalance';
    const wait = initial
      ? this.options.initialRebalanceDelayMs
      : Math.max(...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = setTimeout(() => this.completeJoin(g), wait);
    g.rebalanceTimer.unref();
    if (!initial || wait === 0) this.tryCompleteJoin(g);
  }

  private tryCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    if ([...g.members.values()].every((m) => m.pendingJoin !== undefined)) this.completeJoin(g);
  }

  /** Ends PreparingRebalance: drops members that did not rejoin, answers the others. */
  private completeJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = undefined;
    for (const m of [...g.members.values()]) if (m.pendingJoin === undefined) this.drop(g, m);
    g.generationId++;
    if (g.members.size === 0) return this.becomeEmpty(g);
    const members = [...g.members.values()];
    g.protocol = electProtocol(members);
    if (g.leaderId === null || !g.members.has(g.leaderId)) g.leaderId = members[0]!.id;
    g.state = 'CompletingRebalance';
    const all = members.map((m) => ({
      memberId: m.id,
      metadata: m.protocols.find((p) => p.name === g.protocol)!.metadata,
    }));
    for (const m of members) {
      const resolve = m.pendingJoin!;
      m.pendingJoin = undefined;
      m.assignment = Buffer.alloc(0);
      this.startSession(g, m);
      resolve({
        errorCode: ERR.NONE,
        generationId: g.generationId,
        protocol: g.protocol,
        leaderId: g.leaderId,
        memberId: m.id,
        members: m.id === g.leaderId ? all : [],
      });
    }
  }

  private becomeEmpty(g: Group): void {
    clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = undefined;
    g.state = 'Empty';
    g.protocol = null;
    g.protocolType = null;
    g.leaderId = null;
  }

  /** The member checks of SyncGroup, Heartbeat and OffsetCommit; throws the error code. */
  private member(groupId: string, memberId: string, generationId: number): [Group, Member] {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (g === undefined || m === undefined) throw new CoordinatorError(ERR.UNKNOWN_MEMBER_ID);
    if (generationId !== g.generationId) throw new CoordinatorError(ERR.ILLEGAL_GENERATION);
    return [g, m];
  }

  /** SyncGroup (key 14): resolves with the member's assignment once the leader has sent it. */
  sync(groupId: string, memberId: string, generationId: number, assignments: Map<string, Buffer>) {
    return new Promise<{ errorCode: number; assignment: Buffer }>((resolve) => {
      const [g, m] = this.member(groupId, memberId, generationId);
      this.startSession(g, m);
      if (g.state === 'PreparingRebalance') throw new CoordinatorError(ERR.REBALANCE_IN_PROGRESS);
      if (g.state === 'Stable') return resolve({ errorCode: ERR.NONE, assignment: m.assignment });
      m.pendingSync = resolve;
      if (memberId !== g.leaderId) return;
      for (const x of g.members.values()) x.assignment = assignments.get(x.id) ?? Buffer.alloc(0);
      g.state = 'Stable';
      for (const x of g.members.values()) this.answerSync(x, ERR.NONE, x.assignment);
    }).catch((e: unknown) => {
      if (e instanceof CoordinatorError)
        return { errorCode: e.errorCode, assignment: Buffer.alloc(0) };
      throw e;
    });
  }

  private answerSync(m: Member, errorCode: number, assignment: Buffer): void {
    const resolve = m.pendingSync;
    m.pendingSync = undefined;
    resolve?.({ errorCode, assignment });
  }

  /** Heartbeat (key 12): the error code. */
  heartbeat(groupId: string, memberId: string, generationId: number): number {
    return this.guard(() => {
      const [g, m] = this.member(groupId, memberId, generationId);
      this.startSession(g, m);
      return g.state === 'PreparingRebalance' ? ERR.REBALANCE_IN_PROGRESS : ERR.NONE;
    });
  }

  /** LeaveGroup (key 13): removes the member at once; the error code. */
  leave(groupId: string, memberId: string): number {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (g === undefined || m === undefined) return ERR.UNKNOWN_MEMBER_ID;
    this.remove(g, m);
    return ERR.NONE;
  }

  /**
   * OffsetCommit (key 8) authorisation: generation -1 with no member commits
   * for an empty group (offsets stored without group management); a member
   * of the current generation may commit except while CompletingRebalance.
   */
  checkCommit(groupId: string, memberId: string, generationId: number): number {
    if (groupId === '') return ERR.INVALID_GROUP_ID;
    const g = this.obtain(groupId);
    if (generationId < 0 && memberId === '' && g.state === 'Empty') return ERR.NONE;
    return this.guard(() => {
      const [, m] = this.member(groupId, memberId, generationId);
      this.startSession(g, m);
      return g.state === 'CompletingRebalance' ? ERR.REBALANCE_IN_PROGRESS : ERR.NONE;
    });
  }

  commit(groupId: string, topic: string, partition: number, offset: CommittedOffset): void {
    const g = this.obtain(groupId);
    let t = g.offsets.get(topic);
    if (t === undefined) g.offsets.set(topic, (t = new Map()));
    t.set(partition, offset);
  }

  /** Forgets the committed offsets of a deleted topic (as Kafka does). */
  forgetTopic(topic: string): void {
    for (const g of this.groups.values()) g.offsets.delete(topic);
  }

  private guard(f: () => number): number {
    try {
      return f();
    } catch (e) {
      if (e instanceof CoordinatorError) return e.errorCode;
      throw e;
    }
  }

  private startSession(g: Group, m: Member): void {
    this.stopSession(m);
    if (m.pendingJoin !== undefined) return;
    m.sessionTimer = setTimeout(() => this.remove(g, m), m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }
  private stopSession(m: Member): void {
    clearTimeout(m.sessionTimer);
    m.sessionTimer = undefined;
  }

  /** Removes a member (left or expired) and rebalances the rest. */
  private remove(g: Group, m: Member): void {
    if (g.members.get(m.id) !== m) return;
    this.drop(g, m);
    if (g.members.size === 0) {
      if (g.state !== 'Empty') g.generationId++;
      return this.becomeEmpty(g);
    }
    if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
    else this.prepareRebalance(g);
  }

  private drop(g: Group, m: Member): void {
    this.stopSession(m);
    g.members.delete(m.id);
    m.pendingJoin?.({ ...this.noResult(m.id), errorCode: ERR.UNKNOWN_MEMBER_ID });
    m.pendingJoin = undefined;
    this.answerSync(m, ERR.UNKNOWN_MEMBER_ID, Buffer.alloc(0));
  }

  /** Stops every timer (broker shutdown); pending requests are left to their closed sockets. */
  close(): void {
    for (const g of this.groups.values()) {
      clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) this.stopSession(m);
    }
  }
}
