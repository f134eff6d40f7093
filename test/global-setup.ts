import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Builds `dist/` once before any test file runs: the CLI and multi-node tests spawn the built `riff`; the browser tests open the built web app. */
export default async function setup(): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: new URL('..', import.meta.url).pathname, timeout: 180_000 });
}
