/**
 * The blindness spy of the MQTT conformance suite, in a process of its own:
 * `node spy-child.mjs <out> <filter>...`.
 *
 * Mosquitto holds at most the subscriber's receive maximum in flight plus
 * `max_queued_messages` (1,000 by default) for a subscriber that reads
 * slower than the run publishes, and drops the rest (logging "Outgoing
 * messages are being dropped"). A spy inside the test's own process, busy
 * with publishing and accounting, fell that far behind under CI load and
 * saw too few messages; this one does nothing but read, with the largest
 * receive maximum MQTT 5 allows. Each message is appended to `<out>` as one
 * JSON line: the topic, the payload (base64) and the publish properties as
 * the client decoded them (Buffers as base64). It writes `ready` to
 * `<out>.ready` once subscribed; SIGTERM ends it.
 */
import { openSync, writeFileSync, writeSync } from 'node:fs';
import mqtt from 'mqtt';

const [out, ...filters] = process.argv.slice(2);
const fd = openSync(out, 'a');
const spy = await mqtt.connectAsync(process.env.BWC_MQTT_URL ?? 'mqtt://127.0.0.1:1883', {
  protocolVersion: 5,
  properties: { receiveMaximum: 65535 },
});
const plain = (v) => (Buffer.isBuffer(v) ? { b64: v.toString('base64') } : v);
spy.on('message', (topic, payload, packet) => {
  const properties = Object.fromEntries(
    Object.entries(packet.properties ?? {}).map(([k, v]) => [k, plain(v)]),
  );
  writeSync(fd, `${JSON.stringify({ topic, body: payload.toString('base64'), properties })}\n`);
});
await spy.subscribeAsync(filters, { qos: 1 });
writeFileSync(`${out}.ready`, 'ready\n');
process.on('SIGTERM', () => {
  void spy.endAsync().finally(() => process.exit(0));
});
