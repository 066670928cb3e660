import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Runtime } from './commands.js';
import { planRun, type PlanOptions } from './plan.js';
import { startProxy, type Proxy } from './proxy.js';
import { routeTable } from './routes.js';
import { Supervisor, type WorkerSpec } from './supervisor.js';
import { readPatterns, watchTree } from './watcher.js';

/**
 * `bootstrap-plugin run`: a plugin served as MFSERV serves it, on one machine, without
 * MetWork. Resolves once `signal` is aborted and every process and socket is gone.
 */

const HOST = '127.0.0.1';

export type RunEvent =
  | {
      kind: 'ready';
      url: string;
      /** The plugin's root directory, absolute: the one found upward when run from a sub-folder. */
      pluginDir: string;
      apps: { name: string; urls: string[]; workers: number }[];
      daemons: { name: string; copies: number }[];
    }
  | { kind: 'output'; worker: string; stream: 'stdout' | 'stderr'; line: string }
  | { kind: 'exited'; worker: string; code: number | null; signal: string | null; error?: string; restartInMs: number }
  | { kind: 'restarting'; changed: string[]; workers: number }
  | { kind: 'warning'; message: string }
  | { kind: 'stopping' };

export interface RunOptions extends Omit<PlanOptions, 'runtime'> {
  port: number;
  runtime: Runtime;
  signal: AbortSignal;
  onEvent: (event: RunEvent) => void;
}

export async function runPlugin(options: RunOptions): Promise<void> {
  const plan = await planRun(options);
  for (const message of plan.warnings) options.onEvent({ kind: 'warning', message });
  if (plan.apps.length === 0 && plan.daemons.length === 0) {
    throw new UsageError(`${join(plan.shown, 'config.ini')}: nothing to run (no [app_*] or [extra_daemon_*] section)`);
  }
  if (options.signal.aborted) return;
  const socketDir = await mkdtemp(join(tmpdir(), 'bootstrap-plugin-run-'));
  // Registered after the supervisor's, so its workers (and their sockets) go first.
  const removeSocketDir = () => rmSync(socketDir, { recursive: true, force: true });
  let proxy: Proxy | undefined;
  let supervisor: Supervisor | undefined;
  let watcher: { close: () => void } | undefined;
  try {
    const specs: WorkerSpec[] = [];
    const socketsOf = new Map<string, { label: string; socketPath: string }[]>();
    for (const app of plan.apps) {
      const workers = Array.from({ length: app.workers }, (_, i) => ({
        label: `${app.name}.${i + 1}`,
        socketPath: join(socketDir, `app_${app.name}_${i + 1}.sock`),
      }));
      socketsOf.set(app.name, workers);
      for (const worker of workers)
        specs.push({ ...worker, env: app.env, argv: () => app.command!(worker.socketPath) });
    }
    for (const daemon of plan.daemons) {
      for (let i = 1; i <= daemon.copies; i++)
        specs.push({ label: `${daemon.name}.${i}`, env: daemon.env, argv: () => daemon.command });
    }
    supervisor = new Supervisor(specs, {
      cwd: plan.pluginDir,
      hooks: {
        onOutput: (worker, stream, line) => options.onEvent({ kind: 'output', worker, stream, line }),
        onExit: (worker, status, restartInMs) => options.onEvent({ kind: 'exited', worker, ...status, restartInMs }),
      },
    });
    process.on('exit', removeSocketDir);
    const running = supervisor;
    const timeouts = new Map(plan.apps.map((app) => [app.name, app.timeoutSeconds]));
    proxy = await startProxy({
      host: HOST,
      port: options.port,
      pluginName: plan.pluginName,
      route: routeTable(plan.apps),
      sockets: (app) => {
        const alive = running.running();
        return (socketsOf.get(app) ?? []).filter((w) => alive.has(w.label)).map((w) => w.socketPath);
      },
      timeoutSeconds: (app) => timeouts.get(app)!,
    });
    if (options.signal.aborted) return;
    supervisor.start();
    let restarting = Promise.resolve();
    watcher = await watchTree(plan.pluginDir, await readPatterns(plan.pluginDir), (changed) => {
      options.onEvent({ kind: 'restarting', changed, workers: specs.length });
      restarting = restarting.then(() => running.restart().then(() => undefined));
    });
    const base = proxy.url;
    options.onEvent({
      kind: 'ready',
      url: `${base}/${plan.pluginName}/`,
      pluginDir: plan.pluginDir,
      apps: plan.apps.map((app) => ({
        name: app.name,
        workers: app.workers,
        urls: app.prefixes.map((prefix) => `${base}${prefix}/`),
      })),
      daemons: plan.daemons.map((daemon) => ({ name: daemon.name, copies: daemon.copies })),
    });
    if (!options.signal.aborted)
      await new Promise((done) => options.signal.addEventListener('abort', done, { once: true }));
  } finally {
    if (options.signal.aborted) options.onEvent({ kind: 'stopping' });
    watcher?.close();
    await Promise.all([proxy?.close(), supervisor?.shutdown()]);
    removeSocketDir();
    process.off('exit', removeSocketDir);
  }
}
