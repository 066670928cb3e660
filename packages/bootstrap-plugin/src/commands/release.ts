import { defineCommand } from '../cli/command.js';
import { abortOnSignals, out, warn } from '../cli/io.js';
import { PLUGIN_DIR_ARG } from '../cli/options.js';

export const release = defineCommand({
  name: 'release',
  summary: "build the plugin's NAME-VERSION-RELEASE.metwork.MODULE.plugin archive, as MetWork's plugin builder does",
  args: [PLUGIN_DIR_ARG],
  options: {
    'output-dir': { type: 'string', value: 'D', summary: 'where the archive goes (default: the plugin directory)' },
  },
  async run({ options, args }) {
    const { buildRelease } = await import('../core/release.js');
    const result = await buildRelease({
      dir: args.dir,
      cwd: process.cwd(),
      outputDir: options['output-dir'],
      environment: process.env,
      signal: abortOnSignals(),
    });
    for (const path of result.skipped)
      warn(`warning: ${path}: left out of the archive (not a file, a directory or a symbolic link)`);
    out(result.file);
  },
});
