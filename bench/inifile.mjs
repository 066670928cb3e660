// A large config.ini shaped like MetWork's: sections of keys, comments, `key[VARIANT]`
// overrides and `{{VAR}}` placeholders, so `env` does all of its work on every key.
import { writeFileSync } from 'node:fs';

const KEYS_PER_SECTION = 100;
const VARIANT_EVERY = 10;
const PLACEHOLDER_EVERY = 7;

/** Writes `keys` keys (variant lines included) to `file`. */
export function writeIniFile(file, keys) {
  const lines = [];
  for (let index = 0; index < keys; index++) {
    if (index % KEYS_PER_SECTION === 0)
      lines.push('', `# settings group ${index / KEYS_PER_SECTION}`, `[section_${index / KEYS_PER_SECTION}]`);
    const value = index % PLACEHOLDER_EVERY === 0 ? `{{HOME}}/data/${index}` : `value ${index}`;
    if (index % VARIANT_EVERY === VARIANT_EVERY - 1) lines.push(`key_${index - 1}[DEV]=${value}`);
    else lines.push(`key_${index}=${value}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}
