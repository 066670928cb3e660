import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni, sectionItems, type IniDocument } from '../../packages/bootstrap-plugin/src/core/ini.js';

/**
 * What Python's configparser read from a file: the sections' items (DEFAULT merged in), as
 * ordered pairs (a JavaScript object would reorder keys such as "1"), or an error.
 */
export type Reading =
  | { defaults: Array<[string, string]>; sections: Array<[string, Array<[string, string]>]> }
  | { error: string; lines: number[] };

// Reads each file as MetWork does (`open()` in text mode, UTF-8), with interpolation off: `%` is
// not special in our files. Error lines: every bogus line collected, or the line of the error raised.
const PYTHON_READER = String.raw`
import configparser, json, sys
def read(path):
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding='utf-8') as handle:
            parser.read_file(handle, path)
    except configparser.MissingSectionHeaderError as e:
        return {'error': type(e).__name__, 'lines': [e.lineno]}
    except configparser.ParsingError as e:
        return {'error': type(e).__name__, 'lines': [line for line, _ in e.errors]}
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as e:
        return {'error': type(e).__name__, 'lines': [e.lineno]}
    except UnicodeDecodeError as e:
        return {'error': 'UnicodeDecodeError', 'lines': []}
    return {'defaults': list(parser.defaults().items()),
            'sections': [[s, parser.items(s, raw=True)] for s in parser.sections()]}
json.dump([read(path) for path in sys.argv[1:]], sys.stdout)
`;

/** Reads many files with one Python process (the corpus and property runs have thousands). */
export function readWithConfigparser(paths: string[]): Reading[] {
  const output = execFileSync('python3', ['-c', PYTHON_READER, ...paths], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(output) as Reading[];
}

/** Our reading of the same text, in the shape of `Reading`, with our first error's line. */
export function readWithOurs(text: string, file = 'test.ini'): Reading {
  let doc: IniDocument;
  try {
    doc = parseIni(text, file);
  } catch (error) {
    const line = /^[^:]*:(\d+):/.exec((error as Error).message);
    return { error: (error as Error).message, lines: line ? [Number(line[1])] : [] };
  }
  const values = (entries: Iterable<[string, { value: string }]>) =>
    [...entries].map(([k, e]): [string, string] => [k, e.value]);
  return {
    defaults: values(doc.defaults?.entries ?? []),
    sections: [...doc.sections.values()].map((s): [string, Array<[string, string]>] => [
      s.name,
      values(sectionItems(doc, s)),
    ]),
  };
}

/**
 * Writes each text to `dir` and returns the cases where our reading differs from Python's:
 * different values, or an error on one side only, or errors on different lines. Python collects
 * bogus lines and raises them at the end, unless a duplicate or a missing header raises first and
 * hides them; we stop at the first. So when we stop earlier than Python's raise, the file cut
 * after our error line is read again: Python must then name that line among its bogus ones.
 */
export function differences(dir: string, texts: Array<string | Buffer>): Difference[] {
  const write = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const python = readWithConfigparser(texts.map((text, index) => write(`case-${index}.ini`, text)));
  const found: Difference[] = [];
  const earlier: Array<{ difference: Difference; line: number; cut: string }> = [];
  texts.forEach((text, index) => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    const decoded = decode(bytes);
    const ours = decoded === undefined ? { error: 'UnicodeDecodeError', lines: [] } : readWithOurs(decoded);
    const difference = { text: bytes.toString('utf8'), ours, python: python[index] };
    const verdict = compare(ours, python[index]);
    if (verdict === 'different') found.push(difference);
    if (verdict === 'earlier' && decoded !== undefined) {
      const line = (ours as { lines: number[] }).lines[0];
      earlier.push({
        difference,
        line,
        cut: decoded
          .split(/(?<=\r\n|\r(?!\n)|\n)/)
          .slice(0, line)
          .join(''),
      });
    }
  });
  const recheck = readWithConfigparser(earlier.map((e, index) => write(`cut-${index}.ini`, e.cut)));
  earlier.forEach((e, index) => {
    const again = recheck[index];
    if (!('error' in again && again.lines.includes(e.line))) found.push(e.difference);
  });
  return found;
}

export interface Difference {
  text: string;
  ours: Reading;
  python: Reading;
}

function decode(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `earlier`: both fail, ours on a line before the one Python raised on (to be checked again). */
function compare(ours: Reading, python: Reading): 'same' | 'different' | 'earlier' {
  if ('error' in python || 'error' in ours) {
    if (!('error' in python) || !('error' in ours)) return 'different';
    if (python.lines.length === 0) return 'same';
    const first = Math.min(...python.lines);
    if (ours.lines[0] === first) return 'same';
    return ours.lines[0] < first ? 'earlier' : 'different';
  }
  return JSON.stringify(ours) === JSON.stringify(python) ? 'same' : 'different';
}
