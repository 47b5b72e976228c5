#!/usr/bin/env node
// Entry point for `npx pagestream-bench`. The TypeScript is compiled by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('pagestream-bench: not built yet; run `npm install` (or `npm run build`) in the checkout first\n');
  process.exit(2);
}
const { cli } = await import(main);
process.exitCode = await cli(process.argv.slice(2));
