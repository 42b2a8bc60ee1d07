/**
 * An in-process stand-in for a message broker: it queues and delivers bytes,
 * and logs every byte it carries, the way a broker, proxy or log pipeline
 * could. It is the untrusted middle of the demo.
 */
export function createLoggingBroker() {
  const queues = new Map();
  const log = [];
  return {
    log,
    publish(topic, bytes) {
      log.push({ topic, bytes: Uint8Array.from(bytes) });
      const q = queues.get(topic) ?? [];
      q.push(bytes);
      queues.set(topic, q);
    },
    /** Takes the next message of a topic (undefined when empty). */
    take(topic) {
      return queues.get(topic)?.shift();
    },
  };
}
