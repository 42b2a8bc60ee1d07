// node examples/key-rotation/index.mjs (after pnpm build): prints the story of demo.mjs.
import { runKeyRotation } from './demo.mjs';

await runKeyRotation({ log: (line) => console.log(line) });
