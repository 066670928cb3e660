import { PROFILE_FORMATS, renderProfile, type ProfileFormat } from '../core/profiles.js';
import { defineCommand } from '../cli/command.js';
import { abortOnSignals, noteRemoved, warn } from '../cli/io.js';
import { CONFIG_NAME_OPTION, configNameOf, MODULE_OPTION, moduleOf } from '../cli/options.js';

export const env = defineCommand({
  name: 'env',
  summary: "print a shell profile of a plugin's or module's config.ini variables",
  args: [
    {
      name: 'paths',
      label: 'PATH',
      variadic: true,
      default: ['.'],
      summary: 'plugin directory, or module ini files (later ones override earlier ones)',
    },
  ],
  options: {
    format: { type: 'string', choices: PROFILE_FORMATS, default: 'sh', value: 'F', summary: 'profile format' },
    module: MODULE_OPTION,
    'config-name': CONFIG_NAME_OPTION,
    output: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      summary: 'write the profile to FILE (atomically) instead of printing it',
    },
  },
  async run({ options, args }) {
    const { collectVariables } = await import('../core/env.js');
    const { variables, warnings, notes, scope } = await collectVariables({
      paths: args.paths,
      cwd: process.cwd(),
      module: moduleOf(options.module),
      configName: configNameOf(options['config-name']),
      environment: process.env,
    });
    const profile = renderProfile(variables, options.format as ProfileFormat, scope);
    for (const warning of [...warnings, ...profile.warnings]) warn(`warning: ${warning}`);
    for (const note of notes) warn(`note: ${note}`);
    if (options.output) {
      const { writeFileAtomic } = await import('../core/fs-file.js');
      noteRemoved((await writeFileAtomic(options.output, profile.text, abortOnSignals())).removed);
    } else process.stdout.write(profile.text);
  },
});
