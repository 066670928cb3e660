import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/cli.js';
import { inTerminal } from './helpers/terminal.js';

const ENTER = '\r';
const DOWN = '\x1b[B';
const BACKSPACE = '\x7f';
const CTRL_C = '\x03';

const temp = makeTempDir();
afterAll(temp.cleanup);
const freshDir = temp.fresh;

describe('interactive create, in a real terminal', () => {
  it('asks each field showing its default, re-asks with the reason, and accepts defaults on Enter', async () => {
    const cwd = freshDir();
    const session = await inTerminal(
      cwd,
      ['create', '--template=flask', 'foo'],
      [
        ['Version', `1.2.3${ENTER}`],
        ['Release', ENTER],
        ['One line summary', ENTER],
        ['License', `${DOWN}${ENTER}`],
        ['URL', ENTER],
        ['Maintainer', ENTER],
        ['Vendor', ENTER],
        ['Crontab support', ENTER],
        ['Number of worker processes', `${BACKSPACE.repeat(60)}many${ENTER}`],
        ['expected a positive whole number', `${BACKSPACE.repeat(4)}4${ENTER}`],
        ['successfully created', ''],
      ],
    );
    expect(session.timeout).toBeNull();
    expect(session.code).toBe(0);
    expect(session.output).toContain('(0.0.1)');
    expect(session.output).toMatch(/Proprietary[\s\S]*BSD/);
    const state = JSON.parse(readFileSync(join(cwd, 'foo', '.bootstrap-plugin.json'), 'utf8'));
    expect(state.answers).toEqual({
      version: '1.2.3',
      release: '1',
      summary: 'one line summary',
      license: 'BSD',
      url: 'http://please.change.this/',
      maintainer: 'Firstname FAMILYNAME <email>',
      vendor: 'Vendor',
      crontab_support: 'no',
      workers: '4',
    });
  });

  it('asks nothing that --set already answered', async () => {
    const cwd = freshDir();
    const session = await inTerminal(
      cwd,
      ['create', '--template=static', 'site', '--set', 'version=9', '--set', 'release=2'],
      [
        ['One line summary', ENTER],
        ['License', ENTER],
        ['URL', ENTER],
        ['Maintainer', ENTER],
        ['Vendor', ENTER],
        ['successfully created', ''],
      ],
    );
    expect(session.code).toBe(0);
    expect(session.output).not.toContain('Version');
    expect(JSON.parse(readFileSync(join(cwd, 'site', '.bootstrap-plugin.json'), 'utf8')).answers.version).toBe('9');
  });

  it('exits 130 on Ctrl-C at a prompt and writes nothing', async () => {
    const cwd = freshDir();
    const session = await inTerminal(
      cwd,
      ['create', '--template=flask', 'foo'],
      [
        ['Version', ENTER],
        ['Release', CTRL_C],
      ],
    );
    expect(session.code).toBe(130);
    expect(session.output).toContain('bootstrap-plugin: error: interrupted, nothing was written');
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(cwd, 'foo'))).toBe(false);
  });
});
