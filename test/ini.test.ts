import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAnswersFile } from '../packages/bootstrap-plugin/src/core/answers.js';
import { parseIni, readIniFile, sectionItems } from '../packages/bootstrap-plugin/src/core/ini.js';
import { createPlugin } from '../packages/bootstrap-plugin/src/core/create.js';
import { CLI_PACKAGE } from './helpers/cli.js';
import { differences, readWithOurs } from './helpers/configparser.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-ini-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Ordinary and nasty files: each must read exactly as Python's configparser reads it. */
const CORPUS: Record<string, string | Buffer> = {
  'a MetWork plugin config':
    '[general]\nversion = 1.0.0\nsummary=one line summary\n\n[app_main]\n# number of ' +
    'workers\nworkers={{MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2}}\ntimeout=0\n\n[custom]\n',
  'inline # and ; kept in values': '[s]\nurl = http://a/b#frag\nq = a ; b\nhash=#start\nsemi=;x\n',
  'the colon delimiter and the first delimiter wins':
    '[s]\nurl: http://x:80/y\na=b:c\nd:e=f\n  spaced key   =   spaced value   \n',
  'continuation lines, blank lines inside and after': '[s]\nk = first\n  second\n\n  after blank\n\n\nnext = 1\n',
  'comments inside a continuation do not end it': '[s]\nk = a\n# comment\n  b\n    ; indented comment\n  c\n',
  'a deeper key line sets the indent of its continuations': '[s]\n  k = 1\n   cont\n  j = 2\n j2 = 3\n',
  'an indented header after a key is a continuation': '[s]\nk = 1\n  [t]\nj = 2\n',
  'an indented header after a header is a header': '[s]\n  [t]\nj = 2\n',
  'empty values and key= vs key': '[s]\nempty =\nalso:\n',
  'a key without a delimiter is an error': '[s]\nflag\n',
  'an empty key is an error': '[s]\n= value\n',
  'a key before any section is an error': 'k = v\n[s]\n',
  'a comment before the first section is fine': '# hello\n; world\n\n[s]\nk=v\n',
  'dotted sections are names, not nesting': '[a.b]\nc = 1\n[a]\nb.c = 2\n',
  'section names keep case and inner spaces': '[ Mixed Case ]\nk=1\n[mixed case]\nk=2\n',
  'text after the closing bracket is ignored': '[s] ; comment\nk=1\n[t]]\nj=2\n[u] x ] y\nz=3\n',
  'brackets that are not headers': '[s]\n[]x = 1\n[a = b\n',
  'an empty header is an error': '[s]\n[]\n',
  'keys compare case-insensitively': '[s]\nKey = 1\nkEY = 2\n',
  'duplicate sections are an error': '[s]\na=1\n[t]\n[s]\n',
  'DEFAULT is lent to every section and may repeat':
    '[DEFAULT]\nd=1\nshared=default\n[s]\nshared=own\n[DEFAULT]\ne=2\n[t]\n',
  'a duplicate key across DEFAULT blocks is an error': '[DEFAULT]\nd=1\n[DEFAULT]\nD=2\n',
  'lower-case default is an ordinary section': '[default]\nd=1\n[s]\n',
  'unicode keys, values and sections': '[sécurité]\nclé = valeur ✓\nΣΑΣ = ΑΣ\nİ = dotted\n[日本]\n鍵 = 値\n',
  'CRLF line endings': '[s]\r\nk = v\r\n  cont\r\nj=2\r\n',
  'lone CR line endings': '[s]\rk = v\r  cont\rj=2\r',
  'no final newline': '[s]\nk = v',
  'unicode whitespace Python strips': '[s]\nk =\u00a0v\u2003\nj\u3000= w\u0085\n\u2028indented\u2029= x\n',
  'form feed and vertical tab are whitespace': '[s]\nk =\u000cv\u000b\n',
  'a BOM makes configparser fail': Buffer.from('\ufeff[s]\nk=v\n'),
  'invalid UTF-8 is an error': Buffer.from([0x5b, 0x73, 0x5d, 0x0a, 0x6b, 0x3d, 0xff, 0x0a]),
  'NUL bytes are read like any character': '[s]\nk = a\u0000b\n',
  'percent signs are not interpolated': '[s]\np = 100%\nq = %(p)s\n',
  'tabs indent continuations': '[s]\nk = a\n\tb\n',
  'only blank lines and comments': '\n\n# c\n',
  'an empty file': '',
  'a stray line is an error even after good ones': '[s]\na=1\nthis is not a key\nb=2\n',
  'a stray line before a duplicate: the first error wins': '[s]\nstray\na=1\na=2\n',
};

describe('the ini reader', () => {
  it('reads every file of the corpus exactly as Python configparser does', () => {
    const names = Object.keys(CORPUS);
    const found = differences(dir, Object.values(CORPUS));
    const named = found.map((d) => ({
      case: names[Object.values(CORPUS).findIndex((t) => Buffer.from(t).toString('utf8') === d.text)],
      ...d,
    }));
    expect(named).toEqual([]);
  });

  it('reads random ini-like text exactly as Python configparser does (2000 cases)', () => {
    const fragment = fc.constantFrom(
      '[',
      ']',
      '=',
      ':',
      '#',
      ';',
      ' ',
      '  ',
      '\t',
      '\n',
      '\n',
      '\n',
      '\r\n',
      '\r',
      'a',
      'B',
      'k',
      'DEFAULT',
      'sec',
      '.',
      'é',
      'Σ',
      'İ',
      '\u00a0',
      '\u0085',
      '\u2028',
      '\u000c',
      '\u001c',
      '%',
      '{{X}}',
      '"',
      "'",
      '\\',
      '0',
      '\u0000',
    );
    const line = fc.oneof(
      fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join('')),
      fc
        .tuple(
          fc.constantFrom('', ' ', '  '),
          fc.constantFrom('a', 'b', 'A', 'k.x', 'é'),
          fc.constantFrom('=', ' = ', ':', ': '),
          fc.array(fragment, { maxLength: 4 }),
        )
        .map(([indent, key, delimiter, value]) => `${indent}${key}${delimiter}${value.join('')}`),
      fc.constantFrom('[s]', '[t]', '[DEFAULT]', ' [s]', '', '  cont', '# c', '  ; c'),
    );
    const file = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));
    const texts = fc.sample(file, { seed: 42, numRuns: 2000 });
    const found = differences(dir, texts);
    expect(found.slice(0, 3)).toEqual([]);
  });

  it('names the file and line of a duplicate key and of its first occurrence', () => {
    expect(() => parseIni('[s]\nport = 1\n\nPort = 2\n', 'conf/config.ini')).toThrow(
      'conf/config.ini:4: duplicate key "port" in [s] (first at line 2)',
    );
  });

  it('says what a stray line should look like', () => {
    expect(() => parseIni('[s]\nnot a key\n', 'config.ini')).toThrow(
      'config.ini:2: expected "key = value" or "[section]"',
    );
    expect(() => parseIni('k = v\n', 'config.ini')).toThrow(
      'config.ini:1: expected "key = value" or "[section]": a key comes before any [section] header',
    );
  });

  it('explains a byte order mark instead of failing on a missing header', () => {
    expect(readWithOurs('\ufeff[s]\n')).toMatchObject({
      error: expect.stringContaining('test.ini:1: the file starts with a byte order mark (BOM)'),
    });
  });

  it('names the line of invalid UTF-8', async () => {
    const file = join(dir, 'bad.ini');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('[s]\r\nok = 1\r\nk = '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
    );
    await expect(readIniFile(file)).rejects.toThrow(`${file}:3: not valid UTF-8: save the file as UTF-8`);
  });

  it('keeps every line, its terminator and the key spelling for in-place editing', () => {
    const text = '# top\r\n[S]\r\nMyKey = a\r\n  b\r\n\r\n; end';
    const doc = parseIni(text, 'x.ini');
    expect(doc.lines.map((l, i) => l + doc.eols[i]).join('')).toBe(text);
    expect(doc.kinds).toEqual(['comment', 'section', 'key', 'continuation', 'blank', 'comment']);
    const entry = doc.sections.get('S')!.entries.get('mykey')!;
    expect(entry).toMatchObject({ key: 'MyKey', name: 'mykey', value: 'a\nb', line: 3, endLine: 4 });
  });

  it('lends DEFAULT keys to sections that do not set them', () => {
    const doc = parseIni('[DEFAULT]\nport = 1\nhost = h\n[a]\nport = 2\n', 'x.ini');
    const items = sectionItems(doc, doc.sections.get('a')!);
    expect([...items.values()].map((e) => [e.name, e.value, e.section])).toEqual([
      ['port', '2', 'a'],
      ['host', 'h', 'DEFAULT'],
    ]);
  });
});

describe('ini answers files', () => {
  it('reads the [answers] section of a .ini file as configparser does', async () => {
    const file = join(dir, 'answers.ini');
    writeFileSync(
      file,
      '# answers for create\n[answers]\nVersion = 2.0\nsummary: 100% sure ; really\nurl = http://x/#y\n',
    );
    expect(Object.fromEntries(await readAnswersFile(file))).toEqual({
      version: '2.0',
      summary: '100% sure ; really',
      url: 'http://x/#y',
    });
  });

  it('names the file and line of a section other than [answers], and of a malformed line', async () => {
    const other = join(dir, 'other.cfg');
    writeFileSync(other, '[answers]\nversion = 1\n\n[extra]\nx = 1\n');
    await expect(readAnswersFile(other)).rejects.toThrow(
      `${other}:4: unknown section [extra]: answers go in the [answers] section`,
    );
    const broken = join(dir, 'broken.ini');
    writeFileSync(broken, '[answers]\nversion\n');
    await expect(readAnswersFile(broken)).rejects.toThrow(`${broken}:2: expected "key = value" or "[section]"`);
    const none = join(dir, 'none.ini');
    writeFileSync(none, '# nothing\n');
    await expect(readAnswersFile(none)).rejects.toThrow(
      `${none}: expected an [answers] section of "field = value" lines`,
    );
  });

  it('creates a plugin from an ini answers file', async () => {
    writeFileSync(join(dir, 'answers.ini'), '[answers]\nversion = 3.1.4\nlicense = MIT\n');
    const builtinDir = join(CLI_PACKAGE, 'templates');
    const options = { builtinDir, userDirs: [], name: 'demo', template: 'flask', dir: '.', cwd: dir, module: 'mfserv' };
    await createPlugin({
      ...options,
      set: [],
      answersFile: join(dir, 'answers.ini'),
      force: false,
      dryRun: false,
      toolVersion: '0',
    });
    const config = parseIni(readFileSync(join(dir, 'demo', 'config.ini'), 'utf8'), 'config.ini');
    const general = config.sections.get('general')!.entries;
    expect([general.get('version')!.value, general.get('license')!.value]).toEqual(['3.1.4', 'MIT']);
  });

  it("finds a relative answers file from createPlugin's cwd, not the process's, and names it as given", async () => {
    writeFileSync(join(dir, 'answers.ini'), '[answers]\nversion = 2.7.1\n');
    const options = {
      builtinDir: join(CLI_PACKAGE, 'templates'),
      userDirs: [],
      template: 'static',
      dir: '.',
      cwd: dir,
      module: 'mfserv',
      set: [],
      force: false,
      dryRun: false,
      toolVersion: '0',
    };
    expect(process.cwd()).not.toBe(dir);
    const created = await createPlugin({ ...options, name: 'relative', answersFile: 'answers.ini' });
    expect(created.answers.version).toBe('2.7.1');
    await expect(createPlugin({ ...options, name: 'missing', answersFile: 'missing.ini' })).rejects.toThrow(
      /^missing\.ini: cannot be read \(no such file\b/,
    );
  });
});
