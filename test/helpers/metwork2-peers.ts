import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

// MetWork's own tools for MetWork >= 1.0 (../shared/peers, see its README): the current
// bootstrap_plugin.py with the mfserv 2.3 templates, and mfplugin as a command. They judge our
// format-2 plugins; a missing peer is a failure to set up, never a skipped test.

const run = promisify(execFile);

export const PEERS = process.env.METWORK_PEERS ?? resolve(ROOT, '..', 'shared', 'peers');
const MFPLUGIN = join(PEERS, 'metwork2', 'mfplugin.sh');
const ORIGINAL2 = join(PEERS, 'run-original2.sh');
/** The 13 current mfserv templates, in the order `list --metwork 2` shows them. */
export const METWORK2_TEMPLATES = [
  'default',
  'node',
  'node_noweb',
  'openresty',
  'php',
  'python3_aiohttp',
  'python3_django',
  'python3_flask',
  'python3_noweb',
  'python3_raw_asgi',
  'python3_raw_wsgi',
  'python3_tornado',
  'static',
];

function need(path: string): string {
  if (!existsSync(path))
    throw new Error(`${path} is missing: set METWORK_PEERS to the peers directory (see ../shared/peers/README.md)`);
  return path;
}

export interface PeerRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function runPeer(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<PeerRun> {
  try {
    const { stdout, stderr } = await run(need(command), args, { env, timeout: 60_000, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** `mfplugin.sh check|env|build|read …`: exit 0 when MetWork accepts, 3 with the reason on stderr when it rejects. */
export function mfplugin(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<PeerRun> {
  return runPeer(MFPLUGIN, args, env);
}

/** MetWork's own `bootstrap_plugin.py create --no-input`, kept in a temp dir: returns the plugin's directory. */
export async function originalCreate(template: string, name: string): Promise<string> {
  const result = await runPeer(ORIGINAL2, ['create', `--template=${template}`, name], { ...process.env, KEEP: '1' });
  const kept = /output dir: (.+)/.exec(result.stderr);
  if (result.code !== 0 || !kept)
    throw new Error(`run-original2.sh create ${template} failed (${result.code}): ${result.stderr}`);
  return join(kept[1].trim(), name);
}
