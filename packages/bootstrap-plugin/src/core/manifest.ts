import { ConfigError } from './errors.js';
import { findPatternProblem, type Field, type When } from './fields.js';
import { readTemplateText } from './fs.js';
import { isPlainObject, parseJson } from './jsonfile.js';
import type { NameRules } from './names.js';
import { didYouMean } from './suggest.js';

/** A template's `template.json`, as read and checked before its `extends` chain is resolved (templates.ts). */
export interface Manifest {
  name?: string;
  description?: string;
  extends?: string;
  fields?: Field[];
  nameRules?: NameRules;
  conditions?: Record<string, When>;
}

const MANIFEST_KEYS = ['name', 'description', 'extends', 'fields', 'nameRules', 'conditions'];

export function readManifest(file: string, dirName: string, shipped: boolean): Manifest {
  const data = parseJson(file, readTemplateText(file, shipped, 'a template needs a readable template.json file'));
  if (!isPlainObject(data)) throw new ConfigError(file, undefined, 'expected a JSON object');
  const unknown = Object.keys(data).find((key) => !MANIFEST_KEYS.includes(key));
  if (unknown) throw new ConfigError(file, undefined, `unknown key "${unknown}"${didYouMean(unknown, MANIFEST_KEYS)}`);
  const optionalString = (key: string) => data[key] === undefined || typeof data[key] === 'string';
  const bad = ['name', 'description', 'extends'].find((key) => !optionalString(key));
  if (bad) throw new ConfigError(file, undefined, `${bad}: expected a string`);
  if (data.name !== undefined && data.name !== dirName && !dirName.startsWith('_')) {
    throw new ConfigError(
      file,
      undefined,
      `name "${data.name}" differs from its directory "${dirName}"; make them equal`,
    );
  }
  if (data.conditions !== undefined && !isConditions(data.conditions)) {
    throw new ConfigError(file, undefined, 'conditions: expected {"path/in/files": {"field": value or [values]}}');
  }
  if (data.fields !== undefined && !Array.isArray(data.fields)) {
    throw new ConfigError(file, undefined, 'fields: expected an array of {"name", "message", "type", …}');
  }
  const rulesProblem = data.nameRules === undefined ? undefined : findNameRulesProblem(data.nameRules);
  if (rulesProblem) throw new ConfigError(file, undefined, `nameRules${rulesProblem}`);
  return data as Manifest;
}

const NAME_RULES_KEYS = ['pattern', 'patternHint', 'reserved'];

/**
 * What is wrong with a manifest's `nameRules`, prefixed with where (`.pattern: …`): a bad pattern
 * is the manifest's error, not the name's.
 */
function findNameRulesProblem(rules: unknown): string | undefined {
  if (!isPlainObject(rules)) return ': expected {"pattern"?, "patternHint"?, "reserved"?}';
  const unknown = Object.keys(rules).find((key) => !NAME_RULES_KEYS.includes(key));
  if (unknown) return `: unknown key "${unknown}"${didYouMean(unknown, NAME_RULES_KEYS)}`;
  if (
    rules.reserved !== undefined &&
    !(Array.isArray(rules.reserved) && rules.reserved.every((r) => typeof r === 'string'))
  ) {
    return '.reserved: expected a list of names';
  }
  return findPatternProblem(rules);
}

function isConditions(value: unknown): value is Record<string, When> {
  return isPlainObject(value) && Object.values(value).every(isPlainObject);
}
