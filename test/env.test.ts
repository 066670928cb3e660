import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectVariables, type EnvOptions } from '../packages/bootstrap-plugin/src/core/env.js';
import { useWorkspace } from './helpers/workspace.js';

const workspace = useWorkspace('bp-env-');
const write = (path: string, content: string) => workspace.write(path, content);

async function variables(paths: string[], options: Partial<EnvOptions> = {}) {
  const result = await collectVariables({
    paths,
    cwd: workspace.dir,
    module: 'mfserv',
    configName: 'GENERIC',
    environment: {},
    ...options,
  });
  return { ...result, values: Object.fromEntries(result.variables.map((v) => [v.name, v.value])) };
}

describe('env in module mode (an ini file)', () => {
  it('names every key {MODULE}_{SECTION}_{KEY}, as MetWork does', async () => {
    write('config.ini', '[plugin_foo]\nport=8080\n\n[nginx]\nport = 18868\n');
    expect((await variables(['config.ini'])).values).toEqual({
      MFSERV_PLUGIN_FOO_PORT: '8080',
      MFSERV_NGINX_PORT: '18868',
    });
  });

  it('upper-cases names and turns every other character into "_", one per character', async () => {
    write('c.ini', '[plugin-foo.bar]\nmy-key = 1\nclé = 2\nSpaced Key = 3\n');
    expect(Object.keys((await variables(['c.ini'], { module: 'mfdata' })).values)).toEqual([
      'MFDATA_PLUGIN_FOO_BAR_MY_KEY',
      'MFDATA_PLUGIN_FOO_BAR_CL_',
      'MFDATA_PLUGIN_FOO_BAR_SPACED_KEY',
    ]);
  });

  it('refuses two keys that give one name, naming both places', async () => {
    write('c.ini', '[a]\nb_c = 1\n[a_b]\nc = 2\n');
    await expect(variables(['c.ini'])).rejects.toThrow(
      'c.ini:4: [a_b] c gives the variable MFSERV_A_B_C, as [a] b_c at c.ini:2 does: rename one of them',
    );
    write('d.ini', '[Foo]\nx = 1\n[foo]\nx = 2\n');
    await expect(variables(['d.ini'])).rejects.toThrow(
      'd.ini:4: [foo] x gives the variable MFSERV_FOO_X, as [Foo] x at d.ini:2 does',
    );
  });

  it.each([
    {
      case: 'past sections that export nothing',
      ini: '[e]\n_h = 2\n[a]\nb_x = 1\n[_p]\nk = 1\n[f]\n[a_b]\nx = 2\n',
      error: 'c.ini:9: [a_b] x gives the variable MFSERV_A_B_X, as [a] b_x at c.ini:4 does',
    },
    {
      case: 'a [DEFAULT] key against itself, read in two sections',
      ini: '[DEFAULT]\nx = 1\n[a-b]\ny = 2\n[a_b]\nz = 3\n',
      error: 'c.ini:2: [a_b] x gives the variable MFSERV_A_B_X, as [a-b] x at c.ini:2 does',
    },
    {
      case: 'a variant no configuration here chooses',
      ini: '[s]\nport[prod] = 1\n[s_]\n[S]\nport = 2\n',
      error: 'c.ini:5: [S] port gives the variable MFSERV_S_PORT, as [s] port at c.ini:2 does',
    },
    {
      case: 'a variant of another key',
      ini: '[s]\nx-y[dev] = 1\nx_y = 2\n',
      error: 'c.ini:3: [s] x_y gives the variable MFSERV_S_X_Y, as [s] x-y at c.ini:2 does',
    },
  ])('names the earlier key of a collision: $case', async ({ ini, error }) => {
    write('c.ini', ini);
    await expect(variables(['c.ini'])).rejects.toThrow(error);
  });

  it('skips private sections and keys (starting with "_")', async () => {
    write('c.ini', '[_private]\nsecret = 1\n[s]\n_hidden = 2\nshown = 3\n');
    expect((await variables(['c.ini'])).values).toEqual({ MFSERV_S_SHOWN: '3' });
  });

  it('layers several files: a later file overrides an earlier one variable by variable', async () => {
    write('base.ini', '[s]\na = base\nb = base\n[t]\nc = base\n');
    write('local.ini', '[s]\nb = local\n[u]\nd = local\n');
    expect((await variables(['base.ini', 'local.ini'])).values).toEqual({
      MFSERV_S_A: 'base',
      MFSERV_S_B: 'local',
      MFSERV_T_C: 'base',
      MFSERV_U_D: 'local',
    });
  });

  it('layers a file named again: its second place wins over the files before it', async () => {
    write('a.ini', '[s]\nk = A\n');
    write('b.ini', '[s]\nk = B\n');
    expect((await variables(['a.ini', 'b.ini', 'a.ini'])).values).toEqual({ MFSERV_S_K: 'A' });
  });

  it('names the key that really collides, never a private one', async () => {
    write('c.ini', '[x]\n_y = 1\n[x-]\ny = 2\n[x_]\ny = 3\n');
    await expect(variables(['c.ini'])).rejects.toThrow(
      'c.ini:6: [x_] y gives the variable MFSERV_X__Y, as [x-] y at c.ini:4 does',
    );
  });

  it('lends [DEFAULT] keys to every section, as configparser does, and exports no DEFAULT variables', async () => {
    write('c.ini', '[DEFAULT]\nhost = localhost\n[a]\nport = 1\n[b]\nhost = b.example\n');
    expect((await variables(['c.ini'])).values).toEqual({
      MFSERV_A_HOST: 'localhost',
      MFSERV_A_PORT: '1',
      MFSERV_B_HOST: 'b.example',
    });
  });

  it('keeps values byte for byte: inline # and ;, quotes, continuation lines', async () => {
    write('c.ini', '[s]\nurl = http://x/y#z ; not a comment\nq = "it\'s"\nmulti = one\n  two\n');
    expect((await variables(['c.ini'])).values).toEqual({
      MFSERV_S_URL: 'http://x/y#z ; not a comment',
      MFSERV_S_Q: `"it's"`,
      MFSERV_S_MULTI: 'one\ntwo',
    });
  });

  it('refuses a NUL character, which no environment variable can hold', async () => {
    write('c.ini', '[s]\nk = a\0b\n');
    await expect(variables(['c.ini'])).rejects.toThrow('c.ini:2: the value of "k" holds a NUL character');
  });
});

describe('env variants', () => {
  const file = '[s]\nport = 80\nport[DEV] = 8080\nport[dev_john] = 9090\nport[PROD] = 443\nonly[prod] = p\nplain = x\n';

  it('uses the plain key for the GENERIC configuration and drops other variants', async () => {
    write('c.ini', file);
    expect((await variables(['c.ini'])).values).toEqual({ MFSERV_S_PORT: '80', MFSERV_S_PLAIN: 'x' });
  });

  it('prefers the exact configuration, then its "_" prefix, compared case-insensitively', async () => {
    write('c.ini', file);
    expect((await variables(['c.ini'], { configName: 'DEV_JOHN' })).values.MFSERV_S_PORT).toBe('9090');
    expect((await variables(['c.ini'], { configName: 'dev_mary' })).values.MFSERV_S_PORT).toBe('8080');
    expect((await variables(['c.ini'], { configName: 'Dev' })).values.MFSERV_S_PORT).toBe('8080');
    expect((await variables(['c.ini'], { configName: 'PROD' })).values).toEqual({
      MFSERV_S_PORT: '443',
      MFSERV_S_ONLY: 'p',
      MFSERV_S_PLAIN: 'x',
    });
    expect((await variables(['c.ini'], { configName: 'DEVELOP' })).values.MFSERV_S_PORT).toBe('80');
  });

  it('refuses a key with a bracket that is not KEY[VARIANT]', async () => {
    write('c.ini', '[s]\nport[DEV = 1\n');
    await expect(variables(['c.ini'])).rejects.toThrow(
      'c.ini:2: "port[DEV": a key holding [ or ] must be a variant, KEY[CONFIG_NAME] (e.g. port[DEV])',
    );
  });
});

describe('env placeholders', () => {
  it('replaces {{VAR}} by the environment variable, and an unset one by nothing with a warning naming it', async () => {
    write(
      'c.ini',
      '[app]\nworkers = {{MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2}}\nversion = v{{ MFMODULE_VERSION ' +
        '}}-{{UNSET_ONE}}\n',
    );
    const { values, warnings } = await variables(['c.ini'], {
      environment: { MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2: '8', MFMODULE_VERSION: '1.2' },
    });
    expect(values).toEqual({ MFSERV_APP_WORKERS: '8', MFSERV_APP_VERSION: 'v1.2-' });
    expect(warnings).toEqual(['c.ini:3: {{UNSET_ONE}} is not set in the environment, so it is replaced by nothing']);
  });

  it('never evaluates a placeholder: anything but a variable name is kept as written, with a warning', async () => {
    write('c.ini', '[s]\nk = {{ HOME | upper }}{{ 7*7 }}\n');
    const { values, warnings } = await variables(['c.ini'], { environment: { HOME: '/h' } });
    expect(values.MFSERV_S_K).toBe('{{ HOME | upper }}{{ 7*7 }}');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toBe(
      'c.ini:2: "{{ HOME | upper }}" is kept as written: only {{VARIABLE}} placeholders are replaced',
    );
  });
});

describe('env in plugin mode (a directory)', () => {
  it('gives NAME, DIR and LABEL, then {MODULE}_CURRENT_PLUGIN_{SECTION}_{KEY}', async () => {
    write('foo/config.ini', '[app_main]\ndebug = 0\n[custom]\napi_url = http://x/y#z\n');
    write('foo/.layerapi2_label', 'plugin_foo@mfserv\n');
    expect((await variables(['foo'])).values).toEqual({
      MFSERV_CURRENT_PLUGIN_NAME: 'foo',
      MFSERV_CURRENT_PLUGIN_DIR: join(workspace.dir, 'foo'),
      MFSERV_CURRENT_PLUGIN_LABEL: 'plugin_foo@mfserv',
      MFSERV_CURRENT_PLUGIN_APP_MAIN_DEBUG: '0',
      MFSERV_CURRENT_PLUGIN_CUSTOM_API_URL: 'http://x/y#z',
    });
  });

  it('layers further ini files over the plugin config.ini, and takes no second directory', async () => {
    write('foo/config.ini', '[custom]\na = 1\nb = 2\n');
    write('local.ini', '[custom]\nb = 3\n');
    const { values } = await variables(['foo', 'local.ini']);
    expect([values.MFSERV_CURRENT_PLUGIN_CUSTOM_A, values.MFSERV_CURRENT_PLUGIN_CUSTOM_B]).toEqual(['1', '3']);
    await expect(variables(['foo', 'foo'])).rejects.toThrow(
      'foo is a directory: only the first PATH may be a plugin directory',
    );
  });

  it('names the plugin after its directory without a label; warns when the label names another module', async () => {
    write('bar/config.ini', '[custom]\n');
    expect((await variables(['bar'], { module: 'mfdata' })).values.MFDATA_CURRENT_PLUGIN_LABEL).toBe(
      'plugin_bar@mfdata',
    );
    write('bar/.layerapi2_label', 'plugin_bar@mfserv');
    expect((await variables(['bar'], { module: 'mfdata' })).warnings).toEqual([
      `${join('bar', '.layerapi2_label')}: the plugin belongs to module "mfserv" but the variables are named ` +
        'for "mfdata" (use --module mfserv)',
    ]);
  });

  it('says what a path that is neither a directory nor a file should be', async () => {
    await expect(variables(['nope'])).rejects.toThrow(
      'nope: no such file or directory (expected a plugin directory or an ini file)',
    );
    mkdirSync(join(workspace.dir, 'empty'));
    await expect(variables(['empty'])).rejects.toThrow(
      'empty is not inside a plugin: neither it nor a folder above it holds config.ini, .layerapi2_label or ' +
        '.bootstrap-plugin.json',
    );
    write('labelled/.layerapi2_label', 'plugin_labelled@mfserv\n');
    await expect(variables(['labelled'])).rejects.toThrow('cannot read labelled/config.ini: no such file');
  });
});
