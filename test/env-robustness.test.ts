import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, runCli } from './helpers/cli.js';
import { useWorkspace } from './helpers/workspace.js';

/**
 * env where a user really runs it: from inside a plugin, re-sourced after edits, with odd
 * environments and huge values.
 */

const workspace = useWorkspace('bp-env-robust-');
const write = (path: string, content: string) => workspace.write(path, content);
const hasShell = (name: string) => spawnSync(name, ['-c', 'true']).status === 0;

describe('env and config from any folder inside a plugin', () => {
  it('find the plugin root upward, as git does, and name files relative to where they run', async () => {
    write('demo/config.ini', '[custom]\nk = v\n');
    write('demo/.layerapi2_label', 'plugin_demo@mfserv\n');
    mkdirSync(join(workspace.dir, 'demo/main/deep'), { recursive: true });
    const cwd = join(workspace.dir, 'demo/main/deep');
    const env = await runCli(['env', '--format', 'json'], { cwd });
    expect(env.code).toBe(0);
    expect(JSON.parse(env.stdout)).toMatchObject({
      MFSERV_CURRENT_PLUGIN_DIR: join(workspace.dir, 'demo'),
      MFSERV_CURRENT_PLUGIN_CUSTOM_K: 'v',
    });
    const set = await runCli(['config', 'set', '.', 'custom.x=1'], { cwd });
    expect(set).toMatchObject({ code: 0, stdout: `${join('..', '..', 'config.ini')}: [custom] x added\n` });
    const get = await runCli(['config', 'get', '.', 'custom.x'], { cwd });
    expect(get).toMatchObject({ code: 0, stdout: '1\n' });
    const broken = await runCli(['config', 'set', '.', 'custom.y=a\n#b'], { cwd });
    expect(broken.code).toBe(2);
    const outside = await runCli(['env'], { cwd: workspace.dir });
    expect(outside).toMatchObject({ code: 2, stderr: expect.stringContaining('. is not inside a plugin') });
  });

  it('release and update too: from a sub-folder they work on the plugin around it', async () => {
    const created = await runCli(['create', '--template=static', 'site', '--yes'], { cwd: workspace.dir });
    expect(created.code).toBe(0);
    const cwd = join(workspace.dir, 'site', 'main');
    const environment = cleanEnv({ MFMODULE_VERSION: '0.9.15' });
    const release = await runCli(['release'], { cwd, env: environment });
    expect(release.code).toBe(0);
    const archive = join(workspace.dir, 'site', 'site-0.0.1-1.metwork.mfserv.plugin');
    expect(release.stdout).toContain(archive);
    expect(readFileSync(archive).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const update = await runCli(['update', '.'], { cwd });
    expect(update).toMatchObject({ code: 0, stdout: 'Plugin site is up to date with template static\n' });
  });
});

describe('re-sourcing a plugin profile after a key was removed', () => {
  /** Profiles of one plugin before and after `[custom] gone` was removed, as `env` prints them. */
  async function profiles(format: string): Promise<[string, string]> {
    write('p/config.ini', '[custom]\nkept = 1\ngone = 2\n[app_main]\nworkers = 3\n');
    const before = await runCli(['env', 'p', '--format', format], { cwd: workspace.dir });
    write('p/config.ini', '[custom]\nkept = 1\n[app_main]\nworkers = 4\n');
    const after = await runCli(['env', 'p', '--format', format], { cwd: workspace.dir });
    expect([before.code, after.code]).toEqual([0, 0]);
    return [write('before', before.stdout), write('after', after.stdout)];
  }

  for (const shell of ['bash', 'dash', 'zsh'].filter(hasShell)) {
    it(`leaves no stale {MODULE}_CURRENT_PLUGIN_* variable in ${shell}, and no other variable touched`, async () => {
      const [before, after] = await profiles('sh');
      const script = '. "$1"; eval "$(cat "$2")"; env | grep -E "^(MFSERV_|OTHER_)" | sort';
      const seen = execFileSync(shell, ['-c', script, 'sh', before, after], {
        encoding: 'utf8',
        env: cleanEnv({ OTHER_CURRENT_PLUGIN_X: 'y', MFSERV_HOME: 'h' }),
      });
      expect(seen).not.toContain('GONE');
      expect(seen).toContain('MFSERV_CURRENT_PLUGIN_CUSTOM_KEPT=1\n');
      expect(seen).toContain('MFSERV_CURRENT_PLUGIN_APP_MAIN_WORKERS=4\n');
      expect(seen).toContain('MFSERV_HOME=h\n');
      expect(seen).toContain('OTHER_CURRENT_PLUGIN_X=y\n');
    });
  }

  it.skipIf(!hasShell('fish'))('leaves no stale {MODULE}_CURRENT_PLUGIN_* variable in fish', async () => {
    const [before, after] = await profiles('fish');
    const script = 'source $argv[1]; source $argv[2]; env | grep -E "^MFSERV_" | sort';
    const seen = execFileSync('fish', ['-c', script, before, after], {
      encoding: 'utf8',
      env: cleanEnv({ MFSERV_HOME: 'h' }),
    });
    expect(seen).not.toContain('GONE');
    expect(seen).toContain('MFSERV_CURRENT_PLUGIN_CUSTOM_KEPT=1\n');
    expect(seen).toContain('MFSERV_HOME=h\n');
  });
});

describe('profiles too big for a program to receive', () => {
  it('warn on stderr for a 1 MiB value, which really makes every command fail once sourced', async () => {
    write('big.ini', `[s]\nsmall = 1\nhuge = ${'x'.repeat(1024 * 1024)}\n`);
    const run = await runCli(['env', 'big.ini', '-o', 'profile'], { cwd: workspace.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'bootstrap-plugin: warning: MFSERV_S_HUGE: over 128 KiB, more than Linux passes to a program in one ' +
        'variable; with it set, every command fails with "Argument list too long" (keep big values in a file ' +
        'and put its path in config.ini)\n',
    );
    // The warning is about a real failure: with the profile sourced, starting any program fails.
    const sourced = spawnSync('bash', ['-c', '. ./profile && /bin/true'], { cwd: workspace.dir, encoding: 'utf8' });
    expect(sourced.status).not.toBe(0);
    expect(sourced.stderr).toContain('Argument list too long');
  });

  it('warn on stderr for 200,000 keys', async () => {
    const keys = Array.from({ length: 200_000 }, (_, i) => `key_${i} = value_${i}`).join('\n');
    write('many.ini', `[s]\n${keys}\n`);
    const run = await runCli(['env', 'many.ini', '--format', 'json'], { cwd: workspace.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: warning: the 200000 variables take \d+\.\d MiB, ` +
          String.raw`over half of what Linux passes to a program \(ARG_MAX[^\n]*\n$`,
      ),
    );
    // The warning is about a real failure (a shell takes minutes to source 200k exports; a spawn shows it at once).
    const started = spawnSync('/bin/true', { env: JSON.parse(run.stdout) as Record<string, string> });
    expect(started.error).toMatchObject({ code: 'E2BIG' });
  });

  it('stay quiet for an ordinary plugin', async () => {
    write('c.ini', `[s]\n${Array.from({ length: 500 }, (_, i) => `k${i} = ${'v'.repeat(100)}`).join('\n')}\n`);
    const run = await runCli(['env', 'c.ini'], { cwd: workspace.dir });
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('{{VAR}} from an environment that is not UTF-8', () => {
  it('is refused naming the placeholder and the line, never replaced by U+FFFD', () => {
    write('c.ini', '[s]\nok = {{GOOD}}\nbad = {{BAD}}\n');
    // Only a shell can put raw bytes in an environment: Node would encode them.
    const run = spawnSync('bash', ['-c', `BAD=$'caf\\xe9' exec "$0" "$1" env c.ini`, process.execPath, CLI], {
      cwd: workspace.dir,
      encoding: 'utf8',
      env: cleanEnv({ GOOD: 'café' }),
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "bootstrap-plugin: error: c.ini:3: {{BAD}}: the environment's BAD is not valid UTF-8 (its bytes " +
        'arrive as U+FFFD "\uFFFD", which is refused for that reason): give it in UTF-8\n',
    );
    expect(run.stdout).toBe('');
  });
});

describe('env -o to something that is not a regular file', () => {
  it('writes /dev/null, /dev/stdout and a FIFO in place, and leaves them what they were', async () => {
    write('c.ini', '[s]\nk = v\n');
    const toNull = await runCli(['env', 'c.ini', '-o', '/dev/null'], { cwd: workspace.dir });
    expect(toNull).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(execFileSync('stat', ['-c', '%F', '/dev/null'], { encoding: 'utf8' })).toBe('character special file\n');
    const toStdout = await runCli(['env', 'c.ini', '-o', '/dev/stdout'], { cwd: workspace.dir });
    expect(toStdout).toMatchObject({ code: 0, stdout: "# written by bootstrap-plugin env\nexport MFSERV_S_K='v'\n" });
    expect(execFileSync('stat', ['-c', '%F', '/dev/stdout'], { encoding: 'utf8' })).toBe('symbolic link\n');
    execFileSync('mkfifo', [join(workspace.dir, 'fifo')]);
    const reader = spawnSync('bash', ['-c', `"$0" "$1" env c.ini -o fifo & cat fifo; wait $!`, process.execPath, CLI], {
      cwd: workspace.dir,
      encoding: 'utf8',
    });
    expect(reader).toMatchObject({ status: 0, stdout: "# written by bootstrap-plugin env\nexport MFSERV_S_K='v'\n" });
    expect(execFileSync('stat', ['-c', '%F', 'fifo'], { cwd: workspace.dir, encoding: 'utf8' })).toBe('fifo\n');
  });

  it('ends on SIGTERM while no one reads the FIFO, leaving it a FIFO', async () => {
    write('c.ini', '[s]\nk = v\n');
    execFileSync('mkfifo', [join(workspace.dir, 'fifo')]);
    // Killed once it waits in open(2) for a reader (its wait channel says so).
    const script =
      `"$0" "$1" env c.ini -o fifo & p=$!; for i in $(seq 300); do cat /proc/$p/task/*/wchan | ` +
      `grep -q wait_for_partner && break; sleep 0.05; done; kill -TERM $p; wait $p`;
    const run = spawnSync('bash', ['-c', script, process.execPath, CLI], {
      cwd: workspace.dir,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status).toBe(130);
    expect(run.stderr).toBe('bootstrap-plugin: error: interrupted, nothing was written\n');
    expect(execFileSync('stat', ['-c', '%F', 'fifo'], { cwd: workspace.dir, encoding: 'utf8' })).toBe('fifo\n');
  });

  it('refuses a dangling symbolic link (exit 2), leaving it a link', async () => {
    write('c.ini', '[s]\nk = v\n');
    execFileSync('ln', ['-s', 'missing/target', 'link'], { cwd: workspace.dir });
    const run = await runCli(['env', 'c.ini', '-o', 'link'], { cwd: workspace.dir });
    expect(run).toMatchObject({
      code: 2,
      stderr:
        'bootstrap-plugin: error: link is a symbolic link to missing/target, which does not exist: create ' +
        'that file first, or remove the link\n',
    });
    expect(execFileSync('stat', ['-c', '%F', 'link'], { cwd: workspace.dir, encoding: 'utf8' })).toBe(
      'symbolic link\n',
    );
    expect(readFileSync(join(workspace.dir, 'c.ini'), 'utf8')).toBe('[s]\nk = v\n');
    writeFileSync(join(workspace.dir, 'unused'), '');
  });
});
