/**
 * Sealed telemetry over MQTT 5 (SPEC.md §7b, §11b): a sensor publishes
 * sealed readings at QoS 1; a dashboard subscribes with a wildcard filter and
 * opens each reading bound to its concrete topic, its PUBACK held until the
 * handler returned and the replay store committed; a tampered copy lands,
 * unchanged and with its reason, in `bw-dlq/<topic>`; the dashboard asks the
 * sensor for its calibration with a sealed request and response. Needs
 * Mosquitto (MQTT 5) on 127.0.0.1:1883 (MQTT_URL). Prints one line per step.
 */
import { randomBytes } from 'node:crypto';
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { createMqttBinding, readHint } from '@blindwire/mqtt';
import mqtt from 'mqtt';

const url = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const run = randomBytes(4).toString('hex');
const base = `factory/${run}`;
const sensor = await generateIdentity('spiffe://example.org/sensor/line-1');
const dashboard = await generateIdentity('spiffe://example.org/dashboard');
const connect = () => mqtt.connectAsync(url, { protocolVersion: 5 });

// The dead-letter reader subscribes first: MQTT keeps nothing for a topic nobody reads.
const deadReader = await connect();
const dead = [];
deadReader.on('message', (topic, payload, packet) =>
  dead.push({ topic, reason: readHint(packet.properties, 'bw-reason') }),
);
await deadReader.subscribeAsync(`bw-dlq/${base}/#`, { qos: 1 });

// The dashboard: its client's handleMessage is the binding's, so a PUBACK waits for the handler.
const dashboardClient = await connect();
const copies = [await connect(), await connect()]; // each binding's dead-letter client
const dashboardBw = createMqttBinding(dashboardClient, {
  sender: dashboard,
  recipient: dashboard,
  trustedSenders: [publicIdentity(sensor)],
  policy: [{ match: `${base}/+/temperature`, allowedSenders: ['spiffe://example.org/sensor/*'] }],
  deadLetterClient: copies[0],
});
dashboardClient.handleMessage = dashboardBw.handleMessage;
const readings = [];
const sub = await dashboardBw.subscribe(`${base}/+/temperature`, (m) => {
  readings.push(new TextDecoder().decode(m.payload));
  console.log(`dashboard got ${readings.at(-1)} on ${m.destination} from ${m.sender}`);
});

// The sensor publishes; it also answers calibration requests.
const sensorClient = await connect();
const sensorBw = createMqttBinding(sensorClient, {
  sender: sensor,
  recipient: sensor,
  trustedSenders: [publicIdentity(dashboard)],
  deadLetterClient: copies[1],
});
sensorClient.handleMessage = sensorBw.handleMessage;
const calibration = await sensorBw.respond(`${base}/line-1/calibrate`, () => 'offset +0.25 C');
for (const [line, value] of [
  ['line-1', '21.5 C'],
  ['line-2', '22.1 C'],
])
  await sensorBw.publish(`${base}/${line}/temperature`, value, { to: publicIdentity(dashboard) });

// An attacker on the broker flips one bit of a reading and publishes it again.
const spy = await connect();
const seen = new Promise((resolve) => spy.once('message', (_t, payload) => resolve(payload)));
await spy.subscribeAsync(`${base}/line-3/temperature`, { qos: 1 });
await sensorBw.publish(`${base}/line-3/temperature`, '19.9 C', { to: publicIdentity(dashboard) });
const tampered = Buffer.from(await seen);
tampered[tampered.length - 1] ^= 1;
await spy.publishAsync(`${base}/line-3/temperature`, tampered, { qos: 1 });

const answer = await dashboardBw.request(`${base}/line-1/calibrate`, 'calibration?', {
  to: publicIdentity(sensor),
  timeout: 5000,
});
console.log(`calibration: ${new TextDecoder().decode(answer.payload)}`);

while (dead.length < 1 || readings.length < 3) await new Promise((r) => setTimeout(r, 50));
console.log(`dead-lettered: ${dead.map((d) => `${d.reason} on ${d.topic}`).join(', ')}`);
await sub.unsubscribe();
await calibration.unsubscribe();
await Promise.all(
  [deadReader, dashboardClient, sensorClient, spy, ...copies].map((c) => c.endAsync()),
);
