import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { readFormat2Config, type Format2Finding } from './format2-config.js';
import { validateFormat2 } from './format2-schema.js';
import { FORMAT_VERSION_FILE } from './metwork.js';
import { metworkLookup } from './metwork-defaults.js';
import { validatePluginName } from './names.js';
import { LABEL_FILE, readPluginLabel } from './plugin.js';

/**
 * `config check` on a plugin of format 2: what MetWork's mfplugin refuses when it loads the
 * plugin (its label, its format version, its merged configuration), one finding per problem
 * with the file and line to fix, and what it reads otherwise than it looks, as warnings.
 */

export interface Format2CheckOptions {
  /** The plugin directory, as given and absolute. */
  shown: string;
  dir: string;
  module: string;
  configName: string;
  environment: Record<string, string | undefined>;
}

const VERSION_PARTS = 3;

export async function checkFormat2Plugin(options: Format2CheckOptions): Promise<Format2Finding[]> {
  const findings: Format2Finding[] = [];
  const label = await readPluginLabel(options.dir);
  const labelFile = join(options.shown, LABEL_FILE);
  if (!label)
    findings.push({
      severity: 'error',
      file: labelFile,
      message: `expected one line plugin_NAME@${options.module}: MetWork names the plugin from it`,
    });
  else if (label.module !== options.module) {
    findings.push({
      severity: 'error',
      file: labelFile,
      line: 1,
      message:
        `the plugin belongs to module "${label.module}", not "${options.module}" (check it with ` +
        `--module ${label.module})`,
    });
  }
  if (label) {
    try {
      validatePluginName(label.name);
    } catch (error) {
      findings.push({ severity: 'error', file: labelFile, line: 1, message: (error as Error).message });
    }
  }
  findings.push(...(await formatVersionFindings(options)));
  const name = label?.name ?? '';
  const identity = new Map([
    [`${options.module.toUpperCase()}_CURRENT_PLUGIN_NAME`, name],
    [`${options.module.toUpperCase()}_CURRENT_PLUGIN_DIR`, options.dir],
    [`${options.module.toUpperCase()}_CURRENT_PLUGIN_LABEL`, `plugin_${name}@${options.module}`],
  ]);
  const fromEnvironment = metworkLookup(options.environment, options.module, []);
  const lookup = (variable: string) => identity.get(variable) ?? fromEnvironment(variable);
  const config = await readFormat2Config({ ...options, name, configName: options.configName.toLowerCase(), lookup });
  const validated = validateFormat2(config, { dir: options.dir, module: options.module, lookup });
  return [...findings, ...config.findings, ...validated.findings];
}

/** mfplugin wants `.plugin_format_version` to hold a version of at least three dot-separated parts. */
async function formatVersionFindings(options: Format2CheckOptions): Promise<Format2Finding[]> {
  const file = join(options.shown, FORMAT_VERSION_FILE);
  const text = await readFile(join(options.dir, FORMAT_VERSION_FILE), 'utf8').catch(() => undefined);
  if (text === undefined)
    return [
      {
        severity: 'error',
        file,
        message: 'cannot be read: MetWork needs it to hold the format version, such as 2.3.9',
      },
    ];
  if (text.trim().split('.').length < VERSION_PARTS) {
    return [
      {
        severity: 'error',
        file,
        line: 1,
        message: `"${text.trim()}" is not a version such as 2.3.9 (MetWork reads at least three dot-separated parts)`,
      },
    ];
  }
  return [];
}

/**
 * The error for the first problem MetWork refuses the plugin for, if any: env and release act only
 * on a plugin MetWork would load.
 */
export function refusal(findings: Format2Finding[], shown: string): ConfigError | undefined {
  const error = findings.find((f) => f.severity === 'error');
  return (
    error &&
    new ConfigError(
      error.file,
      error.line,
      `${error.message} (MetWork refuses this plugin; see: bootstrap-plugin config check ${shown})`,
    )
  );
}

/** Throws what `config check` would refuse the plugin for. */
export async function assertFormat2Plugin(options: Format2CheckOptions): Promise<void> {
  const error = refusal(await checkFormat2Plugin(options), options.shown);
  if (error) throw error;
}
