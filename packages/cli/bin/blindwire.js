#!/usr/bin/env node
// The `blindwire` executable as installed (npm) and as linked in a clone of
// the repository (`pnpm exec blindwire`): it runs the built command,
// dist/bin.js. It exists before any build, so `pnpm install` can link it in a
// fresh clone; until `pnpm build` has run, it says so instead of failing.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    'blindwire is not built yet: run `pnpm install && pnpm build` at the repository root\n',
  );
  process.exit(1);
}
await import(built.href);
