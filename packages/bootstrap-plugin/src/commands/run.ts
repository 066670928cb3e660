import { EXIT, UsageError } from '../core/errors.js';
import { MFSERV_PORT } from '../core/metwork.js';
import type { RunEvent } from '../core/run/run.js';
import { RUNTIME_BIN } from '../paths.js';
import { defineCommand } from '../cli/command.js';
import { abortOnSignals, out, warn } from '../cli/io.js';
import { CONFIG_NAME_OPTION, configNameOf, MODULE_OPTION, moduleOf, PLUGIN_DIR_ARG } from '../cli/options.js';

const MAX_PORT = 65535;

function printRunEvent(event: RunEvent): void {
  switch (event.kind) {
    case 'ready':
      out(`Serving plugin at ${event.url} from ${event.pluginDir} (Ctrl-C stops everything)`);
      for (const app of event.apps) {
        const serves = app.workers === 0 ? 'static files' : `${app.workers} worker(s)`;
        out(`  app ${app.name}: ${serves} at ${app.urls.join(' ')}`);
      }
      for (const daemon of event.daemons) out(`  extra daemon ${daemon.name}: ${daemon.copies} process(es)`);
      return;
    case 'output':
      out(`${event.worker} | ${event.line}`);
      return;
    case 'exited': {
      const how = event.error ?? (event.signal ? `killed by ${event.signal}` : `exited with code ${event.code}`);
      warn(`${event.worker} ${how}; restarting it in ${event.restartInMs / 1000} s`);
      return;
    }
    case 'restarting': {
      const more = event.changed.length > 3 ? ` and ${event.changed.length - 3} more` : '';
      out(`${event.changed.slice(0, 3).join(', ')}${more} changed: restarting ${event.workers} process(es)`);
      return;
    }
    case 'warning':
      warn(`warning: ${event.message}`);
      return;
    case 'stopping':
      warn('stopping every process of the plugin');
  }
}

export const run = defineCommand({
  name: 'run',
  summary: 'run a plugin as MFSERV would: its apps behind a local proxy, its daemons, restarts on change',
  args: [PLUGIN_DIR_ARG],
  options: {
    port: {
      type: 'string',
      default: String(MFSERV_PORT),
      value: 'N',
      summary: "port of the proxy on 127.0.0.1 (MFSERV's nginx port by default)",
    },
    'config-name': CONFIG_NAME_OPTION,
    module: MODULE_OPTION,
  },
  async run({ options, args }) {
    const port = Number(options.port);
    if (!/^\d+$/.test(options.port) || port < 1 || port > MAX_PORT)
      throw new UsageError(`--port ${options.port}: expected a whole number from 1 to ${MAX_PORT}`);
    const { runPlugin } = await import('../core/run/run.js');
    const signal = abortOnSignals();
    await runPlugin({
      dir: args.dir,
      cwd: process.cwd(),
      port,
      module: moduleOf(options.module),
      configName: configNameOf(options['config-name']),
      environment: process.env,
      runtime: { binDir: RUNTIME_BIN, python: 'python3' },
      signal,
      onEvent: printRunEvent,
    });
    process.exitCode = EXIT.interrupted;
  },
});
