import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
const nc = await connect({ servers: '127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const name = 'PROBE_' + Date.now();
await jsm.streams.add({ name, subjects: [name + '.>'], storage: 'memory' });
await jsm.consumers.add(name, {
  durable_name: 'w',
  ack_policy: 'explicit',
  ack_wait: 1e9,
  max_deliver: 10,
});
const js = jetstream(nc);
for (let i = 0; i < 16; i++) await js.publish(name + '.x', 'm' + i);
const c = await js.consumers.get(name, 'w');
const msgs = await c.consume();
const it = msgs[Symbol.asyncIterator]();
const first = await it.next();
console.log('first', first.value.info.deliveryCount, 'pending in iterator', msgs.getPending());
for (let t = 0; t < 4; t++) {
  await new Promise((r) => setTimeout(r, 1000));
  const ci = await jsm.consumers.info(name, 'w');
  console.log(
    t,
    'ack_pending',
    ci.num_ack_pending,
    'redelivered',
    ci.num_redelivered,
    'iter pending',
    msgs.getPending(),
  );
}
let seen = [];
for (let i = 0; i < 40; i++) {
  const r = await Promise.race([it.next(), new Promise((r) => setTimeout(() => r(null), 200))]);
  if (!r) break;
  seen.push(r.value.info.deliveryCount);
  r.value.ack();
}
console.log('after: delivery counts', seen.join(','));
await jsm.streams.delete(name);
await nc.close();
