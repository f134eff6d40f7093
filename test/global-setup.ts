import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Builds `dist/` once before any test file runs: the CLI and multi-node tests spawn the built `riff`. */
export default async function setup(): Promise<void> {
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: new URL('..', import.meta.url).pathname, timeout: 180_000 });
}
