import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './helpers/cli.js';
import { useWorkspace } from './helpers/workspace.js';

/**
 * `bootstrap-plugin env` at the edge: options and environment, output, -o, exit codes. env.test.ts
 * tests the rules in-process.
 */

const workspace = useWorkspace('bp-env-cli-');
const write = (path: string, content: string) => workspace.write(path, content);

describe('bootstrap-plugin env', () => {
  it('prints an sh profile, reads $MFMODULE and $MFCONFIG, and warns on stderr', async () => {
    write('c.ini', '[s]\nk[DEV] = dev\nk = plain\nv = {{NOT_SET_HERE}}\n');
    const run = await runCli(['env', 'c.ini'], {
      cwd: workspace.dir,
      env: cleanEnv({ MFMODULE: 'MFDATA', MFCONFIG: 'dev' }),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("# written by bootstrap-plugin env\nexport MFDATA_S_K='dev'\nexport MFDATA_S_V=''\n");
    expect(run.stderr).toBe(
      'bootstrap-plugin: warning: c.ini:4: {{NOT_SET_HERE}} is not set in the environment, so it is replaced ' +
        'by nothing\n',
    );
  });

  it('--config-name and --module win over the environment; --format json prints a flat object', async () => {
    write('c.ini', '[s]\nk[DEV] = dev\nk = plain\n');
    const run = await runCli(['env', 'c.ini', '--format', 'json', '--module', 'mfbase', '--config-name', 'GENERIC'], {
      cwd: workspace.dir,
      env: cleanEnv({ MFCONFIG: 'DEV' }),
    });
    expect(JSON.parse(run.stdout)).toEqual({ MFBASE_S_K: 'plain' });
  });

  it('exits 2 naming file:line for a duplicate key, and writes nothing with -o', async () => {
    write('c.ini', '[s]\nk = 1\nk = 2\n');
    const run = await runCli(['env', 'c.ini', '-o', 'profile'], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('bootstrap-plugin: error: c.ini:3: duplicate key "k" in [s] (first at line 2)\n');
    expect(() => statSync(join(workspace.dir, 'profile'))).toThrow();
  });

  it('writes -o FILE atomically, keeping the mode of the file it replaces', async () => {
    write('c.ini', '[s]\nk = v\n');
    write('profile', 'old');
    chmodSync(join(workspace.dir, 'profile'), 0o600);
    const run = await runCli(['env', 'c.ini', '-o', 'profile', '--format', 'fish'], { cwd: workspace.dir });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(join(workspace.dir, 'profile'), 'utf8')).toBe(
      "# written by bootstrap-plugin env\nset -gx MFSERV_S_K 'v'\n",
    );
    expect(statSync(join(workspace.dir, 'profile')).mode & 0o777).toBe(0o600);
  });

  it('refuses an invalid --module', async () => {
    write('c.ini', '[s]\n');
    const run = await runCli(['env', 'c.ini', '--module', 'mf-serv'], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invalid module "mf-serv"');
  });

  it("runs the user's day: create a flask plugin, set a key, source the profile, read it in a child", async () => {
    const created = await runCli(['create', '--template=flask', 'demo', '--yes'], { cwd: workspace.dir });
    expect(created.code).toBe(0);
    const set = await runCli(['config', 'set', 'demo', 'custom.api_url=http://x/y#z'], { cwd: workspace.dir });
    expect(set).toMatchObject({ code: 0, stdout: `${join('demo', 'config.ini')}: [custom] api_url added\n` });
    const env = await runCli(['env', 'demo', '-o', 'profile'], {
      cwd: workspace.dir,
      env: cleanEnv({ MFCOM_HARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2: '4' }),
    });
    expect(env).toMatchObject({ code: 0, stderr: '' });
    const read = (name: string) =>
      execFileSync('bash', ['-c', `. ./profile && node -e "console.log(process.env.${name})"`], {
        cwd: workspace.dir,
        encoding: 'utf8',
      });
    expect(read('MFSERV_CURRENT_PLUGIN_CUSTOM_API_URL')).toBe('http://x/y#z\n');
    expect(read('MFSERV_CURRENT_PLUGIN_LABEL')).toBe('plugin_demo@mfserv\n');
    expect(read('MFSERV_CURRENT_PLUGIN_APP_MAIN_WORKERS')).toBe('4\n');
  });
});
