import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

const run = promisify(execFile);

/**
 * MetWork's own tools (../shared/peers, see its README), looked for above the package root so the
 * tests find them from a worktree or a workspace package alike; BOOTSTRAP_PLUGIN_PEERS overrides.
 */
export const PEERS = process.env.BOOTSTRAP_PLUGIN_PEERS ?? findPeers(ROOT);

function findPeers(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'peers');
    if (existsSync(join(candidate, 'run-original.sh'))) return candidate;
    if (dirname(dir) === dir)
      throw new Error(
        `MetWork's peers not found above ${from}: set BOOTSTRAP_PLUGIN_PEERS to the shared/peers directory`,
      );
  }
}

/**
 * Runs MetWork's original bootstrap_plugin.py (0.9.15) with default answers, except those given
 * (through cookiecutter's user config, as a MetWork user's ~/.cookiecutterrc would), and
 * returns the plugin directory it made. Everything it writes (its prepared copy of MetWork, its
 * output) stays under `workDir`.
 */
export async function createWithOriginal(
  template: string,
  name: string,
  workDir: string,
  answers: Record<string, string> = {},
): Promise<string> {
  const config = join(mkdtempSync(join(workDir, 'answers-')), 'cookiecutterrc.yaml');
  const lines = Object.entries(answers).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`);
  writeFileSync(config, `default_context:\n${lines.join('')}`);
  const { stderr } = await run(join(PEERS, 'run-original.sh'), ['create', `--template=${template}`, name], {
    env: { ...process.env, KEEP: '1', TMPDIR: workDir, COOKIECUTTER_CONFIG: config },
    timeout: 60_000,
  });
  const kept = /^output dir: (.*)$/m.exec(stderr)?.[1];
  if (!kept) throw new Error(`run-original.sh did not say where it wrote: ${stderr}`);
  return join(kept, name);
}

/** Runs MetWork's plugin library (mfplugin, MetWork >= 1.0): `build DIR OUT` or `read FILE`. */
export async function mfplugin(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(join(PEERS, 'metwork2', 'mfplugin.sh'), args, {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout;
}
