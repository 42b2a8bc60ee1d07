/**
 * Key rotation with messages in a queue (SPEC.md §11.4): a sender seals jobs
 * for the billing service; they wait in a queue (in-process here) while the
 * service's key rotator publishes a new key. The queued jobs still open with
 * the retained old key, new jobs are sealed to the new key, and once the old
 * key's retention has run out the rotator erases it: a job still queued for
 * it fails with ERR_KEY_NOT_FOUND, never plaintext. The clock is simulated,
 * so the hours pass at once.
 */
import { generateIdentity, isBlindwireError, open, seal } from '@blindwire/core';
import {
  certifyIdentity,
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  createTrustAnchor,
  trustAnchorPublic,
} from '@blindwire/directory';

const HOUR = 3600;

/**
 * Runs the story; `log` receives one line per event. Resolves with the kids
 * of the first and second keys, what each consume() gave per job (the kid it
 * was sealed to, and its plaintext or error code), the kids the late tick
 * erased, and every envelope the queue carried.
 */
export async function runKeyRotation({ log = () => {} } = {}) {
  let clock = Date.UTC(2026, 11, 1, 9, 0, 0); // simulated; advanced below
  const now = () => clock;
  const at = () => new Date(clock).toISOString().slice(11, 16);

  // The organisation's anchor certifies the sender and the service.
  const anchor = await createTrustAnchor('acme.example root');
  const trust = { anchors: [trustAnchorPublic(anchor)] };
  const store = createMemoryStore();
  const sender = await generateIdentity('spiffe://acme.example/agents/planner');
  const billing = await generateIdentity('spiffe://acme.example/services/billing');
  for (const id of [sender, billing])
    await store.put(id.name, await certifyIdentity(anchor, id, { now: now() }));
  const directory = createDirectory({ store, trust, now, cache: { ttlMs: 0 } });

  // The service's keys live in a key store, rotated every 6 hours; a job may
  // wait up to 2 hours in the queue, so each key is kept that long (plus the
  // clock skew) after it expires (the retention rule, SPEC.md §11.4).
  const keyStore = createMemoryKeyStore();
  const rotator = createKeyRotator({
    identity: billing,
    publish: (record) => directory.publish(record),
    keyStore,
    lifetimeSeconds: 6 * HOUR,
    propagationDelaySeconds: 300,
    maxQueueSeconds: 2 * HOUR,
    retentionSeconds: 2 * HOUR + 180,
    prune: { store, trust }, // old public records go too
    now,
  });

  const queue = []; // what the broker holds: envelopes only
  const brokerSaw = [];
  const enqueue = async (job, to = queue) => {
    const key = await directory.resolveRecipient(billing.name); // verified, newest usable
    const { envelope } = await seal(job, { sender, recipients: key, ttl: 12 * HOUR, now: now() });
    to.push({ kid: key.kid, envelope });
    brokerSaw.push(envelope);
    log(`${at()} sealed "${job}" to key ${key.kid}`);
    return key.kid;
  };
  const consume = async () => {
    const recipient = await rotator.recipientKeys(); // the current key and every retained one
    const results = [];
    while (queue.length > 0) {
      const { kid, envelope } = queue.shift();
      try {
        const r = await open(envelope, {
          recipient,
          revokedKids: await rotator.revokedKids(),
          resolveSender: directory.resolveSigningKey,
          allowedSenders: ['spiffe://acme.example/agents/*'],
          now: now(),
        });
        const text = new TextDecoder().decode(r.payload);
        log(`${at()} opened "${text}" (key ${kid})`);
        results.push({ kid, opened: text });
      } catch (e) {
        if (!isBlindwireError(e)) throw e;
        log(`${at()} could not open the job sealed to key ${kid}: ${e.code}`);
        results.push({ kid, code: e.code });
      }
    }
    for (const k of recipient) k.privateKey.fill(0);
    return results;
  };
  const tick = async () => {
    const t = await rotator.tick();
    if (t.rotated) log(`${at()} rotator published key ${t.rotated.kid}`);
    for (const kid of t.erased) log(`${at()} rotator erased key ${kid}`);
    if (t.pruned?.length) log(`${at()} rotator pruned ${t.pruned.length} expired public record(s)`);
    t.rotated?.privateKey.fill(0);
    return t;
  };

  try {
    // 09:00 the first key; two jobs are queued for it, and a third waits in a
    // retry queue that nobody drains until the afternoon.
    await tick();
    const first = await enqueue('invoice 1001');
    await enqueue('invoice 1002');
    const retries = [];
    await enqueue('invoice 1003', retries);

    // 14:00 the first key expires at 15:00: the rotator publishes the next,
    // which senders use from 14:05, once every cache has it.
    clock += 5 * HOUR * 1000;
    await tick();
    clock += 10 * 60 * 1000;
    const second = await enqueue('invoice 1004');

    // 14:10 the service works through the queue: old and new keys both open.
    const afterRotation = await consume();

    // 17:30 the first key expired at 15:00 and its retention (2 h 3 min) has
    // run out: the rotator erases it. The retry queue is drained only now.
    clock = Date.UTC(2026, 11, 1, 17, 30, 0);
    const late = await tick();
    queue.push(...retries);
    await enqueue('invoice 1005');
    const afterRetention = await consume();
    return { first, second, afterRotation, erased: late.erased, afterRetention, brokerSaw };
  } finally {
    await directory.close();
  }
}
