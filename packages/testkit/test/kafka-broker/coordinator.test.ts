/**
 * The group coordinator on its own (fake timers): the error codes of
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup and OffsetCommit in each group
 * state, the rebalance timeout that drops members which did not rejoin, the
 * session timeout, the protocol vote, and offsets that outlive the members.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  GroupCoordinator,
  type JoinRequest,
  type JoinResult,
} from '../../src/kafka-broker/groups.js';
import { ERR } from '../../src/kafka-broker/protocol.js';

const meta = (s: string) => Buffer.from(s);
let gc: GroupCoordinator;

beforeEach(() => {
  vi.useFakeTimers();
  gc = new GroupCoordinator({
    minSessionTimeoutMs: 100,
    maxSessionTimeoutMs: 60_000,
    initialRebalanceDelayMs: 0,
  });
});
afterEach(() => {
  gc.close();
  vi.useRealTimers();
});

const request = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g',
  memberId: '',
  clientId: 'c',
  clientHost: '127.0.0.1',
  sessionTimeoutMs: 1000,
  rebalanceTimeoutMs: 5000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: meta('m') }],
  ...over,
});

/** A join that has not been answered yet reports 'pending'. */
async function state(p: Promise<JoinResult>): Promise<JoinResult | 'pending'> {
  return Promise.race([p, Promise.resolve().then(() => 'pending' as const)]);
}

/** One member joined and synced: generation 1, Stable. */
async function stableOne(): Promise<JoinResult> {
  const j = await gc.join(request());
  await gc.sync('g', j.memberId, j.generationId, new Map([[j.memberId, meta('A')]]));
  return j;
}

describe('JoinGroup', () => {
  it('refuses an empty group id, a session timeout out of range, a protocol mismatch, an unknown member', async () => {
    expect((await gc.join(request({ groupId: '' }))).errorCode).toBe(ERR.INVALID_GROUP_ID);
    expect((await gc.join(request({ sessionTimeoutMs: 99 }))).errorCode).toBe(
      ERR.INVALID_SESSION_TIMEOUT,
    );
    expect((await gc.join(request({ sessionTimeoutMs: 60_001 }))).errorCode).toBe(
      ERR.INVALID_SESSION_TIMEOUT,
    );
    expect((await gc.join(request({ protocols: [] }))).errorCode).toBe(
      ERR.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await gc.join(request({ memberId: 'ghost' }))).errorCode).toBe(ERR.UNKNOWN_MEMBER_ID);
    await stableOne();
    expect((await gc.join(request({ protocolType: 'connect' }))).errorCode).toBe(
      ERR.INCONSISTENT_GROUP_PROTOCOL,
    );
    const other = request({ protocols: [{ name: 'sticky', metadata: meta('x') }] });
    expect((await gc.join(other)).errorCode).toBe(ERR.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('the first member is leader and gets every member; a rejoin waits for all known members', async () => {
    const a = await stableOne();
    expect(a).toMatchObject({
      errorCode: 0,
      generationId: 1,
      leaderId: a.memberId,
      protocol: 'range',
    });
    expect(a.members.map((m) => m.memberId)).toEqual([a.memberId]);

    const bJoin = gc.join(request({ clientId: 'b' }));
    expect(await state(bJoin)).toBe('pending'); // waits for a to rejoin
    expect(gc.heartbeat('g', a.memberId, 1)).toBe(ERR.REBALANCE_IN_PROGRESS);
    expect((await gc.sync('g', a.memberId, 1, new Map())).errorCode).toBe(
      ERR.REBALANCE_IN_PROGRESS,
    );
    const aJoin = gc.join(request({ memberId: a.memberId }));
    const [a2, b2] = await Promise.all([aJoin, bJoin]);
    expect(a2).toMatchObject({ errorCode: 0, generationId: 2, leaderId: a.memberId });
    expect(a2.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b2.memberId].sort());
    expect(b2).toMatchObject({ errorCode: 0, generationId: 2, leaderId: a.memberId, members: [] });
  });

  it('drops members that do not rejoin within the rebalance timeout, alive or not', async () => {
    const a = await stableOne();
    const bJoin = gc.join(request({ clientId: 'b' }));
    for (let t = 0; t < 4500; t += 500) {
      await vi.advanceTimersByTimeAsync(500); // a stays alive (heartbeats) but does not rejoin
      expect(gc.heartbeat('g', a.memberId, 1)).toBe(ERR.REBALANCE_IN_PROGRESS);
    }
    await vi.advanceTimersByTimeAsync(499);
    expect(await state(bJoin)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const b = await bJoin;
    expect(b).toMatchObject({ errorCode: 0, generationId: 2, leaderId: b.memberId });
    expect(gc.heartbeat('g', a.memberId, 2)).toBe(ERR.UNKNOWN_MEMBER_ID);
  });

  it('elects the protocol most members prefer among those all support', async () => {
    const both = (first: string, second: string) => [
      { name: first, metadata: meta(first) },
      { name: second, metadata: meta(second) },
    ];
    const a = await gc.join(request({ protocols: both('range', 'roundrobin') }));
    await gc.sync('g', a.memberId, 1, new Map());
    // New members first: a known member rejoining alone would complete the rebalance by itself.
    const joins = [
      gc.join(request({ protocols: both('roundrobin', 'range') })),
      gc.join(request({ protocols: both('roundrobin', 'range') })),
      gc.join(request({ memberId: a.memberId, protocols: both('range', 'roundrobin') })),
    ];
    const results = await Promise.all(joins);
    expect(results.map((r) => r.protocol)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
    expect(results[2]!.leaderId).toBe(a.memberId); // the leader stays
    expect(results[2]!.members.map((m) => m.metadata.toString())).toEqual([
      'roundrobin',
      'roundrobin',
      'roundrobin',
    ]);
  });
});

describe('SyncGroup', () => {
  it('waits for the leader, then hands each member its assignment', async () => {
    const a = await stableOne();
    const [b2, a2] = await Promise.all([
      gc.join(request({ clientId: 'b' })),
      gc.join(request({ memberId: a.memberId })),
    ]);
    const bSync = gc.sync('g', b2.memberId, 2, new Map());
    let bDone = false;
    void bSync.then(() => (bDone = true));
    await Promise.resolve();
    expect(bDone).toBe(false);
    const assignments = new Map([
      [a2.memberId, meta('A')],
      [b2.memberId, meta('B')],
    ]);
    expect((await gc.sync('g', a2.memberId, 2, assignments)).assignment.toString()).toBe('A');
    expect((await bSync).assignment.toString()).toBe('B');
    expect((await gc.sync('g', b2.memberId, 2, new Map())).assignment.toString()).toBe('B'); // Stable: at once
    expect((await gc.sync('g', b2.memberId, 1, new Map())).errorCode).toBe(ERR.ILLEGAL_GENERATION);
    expect((await gc.sync('g', 'ghost', 2, new Map())).errorCode).toBe(ERR.UNKNOWN_MEMBER_ID);
  });
});

describe('Heartbeat, session timeout and LeaveGroup', () => {
  it('answers by generation and member, and keeps a member alive', async () => {
    const a = await stableOne();
    expect(gc.heartbeat('g', a.memberId, 1)).toBe(ERR.NONE);
    expect(gc.heartbeat('g', a.memberId, 0)).toBe(ERR.ILLEGAL_GENERATION);
    expect(gc.heartbeat('g', 'ghost', 1)).toBe(ERR.UNKNOWN_MEMBER_ID);
    expect(gc.heartbeat('nope', a.memberId, 1)).toBe(ERR.UNKNOWN_MEMBER_ID);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(900);
      expect(gc.heartbeat('g', a.memberId, 1)).toBe(ERR.NONE);
    }
  });

  it('expels a silent member after its session timeout; the group rebalances without it', async () => {
    const a = await stableOne();
    const [b2, a2] = await Promise.all([
      gc.join(request({ clientId: 'b' })),
      gc.join(request({ memberId: a.memberId })),
    ]);
    await gc.sync('g', a2.memberId, 2, new Map());
    await vi.advanceTimersByTimeAsync(600);
    expect(gc.heartbeat('g', b2.memberId, 2)).toBe(ERR.NONE); // a falls silent from here
    await vi.advanceTimersByTimeAsync(600);
    expect(gc.heartbeat('g', b2.memberId, 2)).toBe(ERR.REBALANCE_IN_PROGRESS);
    expect(gc.get('g')!.members.has(a.memberId)).toBe(false);
    const b3 = await gc.join(request({ memberId: b2.memberId }));
    expect(b3).toMatchObject({ errorCode: 0, generationId: 3, leaderId: b2.memberId });
  });

  it('LeaveGroup removes at once; the last member out leaves the group Empty with its offsets', async () => {
    const a = await stableOne();
    expect(gc.checkCommit('g', a.memberId, 1)).toBe(ERR.NONE);
    gc.commit('g', 't', 0, { offset: 42, metadata: null });
    expect(gc.leave('g', 'ghost')).toBe(ERR.UNKNOWN_MEMBER_ID);
    expect(gc.leave('g', a.memberId)).toBe(ERR.NONE);
    const g = gc.get('g')!;
    expect(g.state).toBe('Empty');
    expect(g.offsets.get('t')!.get(0)!.offset).toBe(42);
    expect(gc.heartbeat('g', a.memberId, 1)).toBe(ERR.UNKNOWN_MEMBER_ID);
  });
});

describe('OffsetCommit', () => {
  it('accepts generation -1 without a member only while the group is Empty', async () => {
    expect(gc.checkCommit('g', '', -1)).toBe(ERR.NONE);
    expect(gc.checkCommit('', '', -1)).toBe(ERR.INVALID_GROUP_ID);
    await stableOne();
    expect(gc.checkCommit('g', '', -1)).toBe(ERR.UNKNOWN_MEMBER_ID);
  });

  it('needs the current generation, and refuses while CompletingRebalance', async () => {
    const a = await gc.join(request());
    expect(gc.checkCommit('g', a.memberId, 1)).toBe(ERR.REBALANCE_IN_PROGRESS); // awaiting SyncGroup
    await gc.sync('g', a.memberId, 1, new Map());
    expect(gc.checkCommit('g', a.memberId, 1)).toBe(ERR.NONE);
    expect(gc.checkCommit('g', a.memberId, 2)).toBe(ERR.ILLEGAL_GENERATION);
    expect(gc.checkCommit('g', 'ghost', 1)).toBe(ERR.UNKNOWN_MEMBER_ID);
    void gc.join(request({ clientId: 'b' })); // PreparingRebalance: the current generation may still commit
    expect(gc.checkCommit('g', a.memberId, 1)).toBe(ERR.NONE);
  });
});
