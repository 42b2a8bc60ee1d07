/** The machine and runtime the numbers come from, and the versions measured. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: (cpus[0]?.model ?? 'unknown').trim(),
    cores: cpus.length,
    cpuMHz: cpus[0]?.speed ?? null,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function machineLine(m) {
  return (
    `${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB} GiB RAM, ${m.platform}; ` +
    `Node ${m.node} (V8 ${m.v8}, OpenSSL ${m.openssl}); load average at start ${m.loadavgAtStart.join(' / ')}`
  );
}

const PACKAGES = ['@blindwire/core', '@hpke/core', 'hpke', 'jose', 'libsodium-wrappers', 'esbuild'];

/** Installed versions, read from this package's node_modules. */
export function packageVersions() {
  const out = {};
  for (const name of PACKAGES) {
    try {
      const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
      out[name] = JSON.parse(readFileSync(url, 'utf8')).version;
    } catch {
      out[name] = null;
    }
  }
  return out;
}
