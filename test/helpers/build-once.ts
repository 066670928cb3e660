import { execFileSync } from 'node:child_process';
import { ROOT } from './cli.js';

/** vitest's global setup for the end-to-end tier: the packages are built from the current sources. */
export default function buildOnce(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}
