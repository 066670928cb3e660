import { join, relative } from 'node:path';
import { BootstrapError, ConfigError, EXIT, InterruptedError, UsageError, WorkError } from './errors.js';
import { DEFAULT_RENDER_TIME_LIMIT_MS, RENDER_TIMEOUT_ENV } from './render-limit.js';
import type { RenderContext, SecretLog } from './render-context.js';
import type { Rendering, RenderJob, RenderOptions } from './render.js';
import type { Template } from './templates.js';

/**
 * A user template's EJS runs in a worker thread: `<% while (true) {} %>` would otherwise hold
 * the main thread, where no signal handler can run, until SIGKILL. Here the main thread stays
 * free to end the worker when the time limit passes or a signal aborts the run.
 */

/** What the worker is given: all data, since functions cannot cross (the helpers are rebuilt there). */
export interface WorkerTask {
  template: Template;
  data: RenderContext;
  log: SecretLog;
  job: RenderJob;
}

/** What the worker says: the EJS file it starts, each include, then its result or its error. */
export type WorkerMessage =
  | { kind: 'file'; path: string }
  | { kind: 'include'; path: string }
  | { kind: 'done'; rendering: Rendering; secrets: string[] }
  | { kind: 'failed'; error: PostedError };

/** An error as it crosses threads: structured cloning keeps neither its class nor its fields. */
export interface PostedError {
  name: string;
  message: string;
  stack?: string;
  exitCode?: number;
  file?: string;
  line?: number;
}

/** Beside this module: dist/render-worker.js bundled (an ES module), src/core/render-worker.ts in tests. */
const workerScript = () =>
  join(import.meta.dirname, `render-worker${import.meta.filename.endsWith('.ts') ? '.ts' : '.js'}`);

/** Renders `task` in a worker; rejects at the time limit (naming the file that was rendering) or on abort. */
export function renderInWorker(
  task: WorkerTask,
  options: RenderOptions,
): Promise<{ rendering: Rendering; secrets: string[] }> {
  if (options.signal?.aborted) return Promise.reject(new InterruptedError());
  const limit = options.timeLimit ?? DEFAULT_RENDER_TIME_LIMIT_MS;
  const shown = (path: string) => relative(task.template.dir, path);
  let current: string | undefined;
  let includes: string[] = [];
  // Loaded here, not at start-up: only a user template needs a worker.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(workerScript(), { workerData: task });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: Error | { rendering: Rendering; secrets: string[] }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Only terminate() ends a worker stuck in a loop; a finished one has nothing left to do.
      void worker.terminate().then(() => (outcome instanceof Error ? reject(outcome) : resolve(outcome)));
    };
    // Counted from the first EJS file, not from the worker's start: a loaded machine's slow start
    // is not the template's.
    let timer: NodeJS.Timeout | undefined;
    const timeOut = () => {
      const also = includes.length > 0 ? ` (or in a file it includes: ${[...new Set(includes)].join(', ')})` : '';
      settle(
        new ConfigError(
          shown(current!),
          undefined,
          `still rendering after ${limit / 1000} s, an endless loop?${also} (template ${task.template.dir}): ` +
            `fix the template, or allow more time with ${RENDER_TIMEOUT_ENV}=SECONDS`,
        ),
      );
    };
    const onAbort = () => settle(new InterruptedError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'file') {
        [current, includes] = [message.path, []];
        timer ??= setTimeout(timeOut, limit);
      } else if (message.kind === 'include') includes.push(shown(message.path));
      else if (message.kind === 'failed') settle(fromPosted(message.error));
      else settle({ rendering: toBuffers(message.rendering), secrets: message.secrets });
    });
    // An uncaught error in the worker: the template's (a timer that throws, memory) once it runs, else ours.
    worker.on('error', (error) =>
      settle(
        current === undefined
          ? new WorkError(`cannot start the template renderer: ${error.message}`)
          : new ConfigError(shown(current), undefined, `template error: ${error.message}`),
      ),
    );
    worker.on('exit', (code) =>
      settle(
        new ConfigError(
          current === undefined ? task.template.dir : shown(current),
          undefined,
          `ended the render before it finished (exit code ${code}): a template must not call process.exit()`,
        ),
      ),
    );
  });
}

/** Posted buffers arrive as plain Uint8Arrays. */
function toBuffers(rendering: Rendering): Rendering {
  const files = rendering.files.map((file) => ({
    ...file,
    content: Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength),
  }));
  return { ...rendering, files };
}

export function toPosted(error: unknown): PostedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { name, message, stack } = error;
  if (error instanceof ConfigError) return { name, message, stack, file: error.file, line: error.line };
  return { name, message, stack, exitCode: error instanceof BootstrapError ? error.exitCode : undefined };
}

/** The error as the worker threw it: the same class where it is one of ours, the same message. */
function fromPosted(posted: PostedError): Error {
  if (posted.file !== undefined) {
    const where = posted.line === undefined ? posted.file : `${posted.file}:${posted.line}`;
    return new ConfigError(posted.file, posted.line, posted.message.slice(where.length + 2));
  }
  if (posted.exitCode === EXIT.usage) return new UsageError(posted.message);
  if (posted.exitCode === EXIT.failure) return new WorkError(posted.message);
  return Object.assign(new Error(posted.message), { name: posted.name, stack: posted.stack });
}
