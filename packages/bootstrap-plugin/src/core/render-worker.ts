import { parentPort, workerData } from 'node:worker_threads';
import { withHelpers } from './render-context.js';
import { toPosted, type WorkerMessage, type WorkerTask } from './render-thread.js';
import { renderHere } from './render.js';

/**
 * The render worker's script (see render-thread.ts): renders one user template, saying which
 * EJS file it starts, so the main thread can name the one that never ends.
 */

const task = workerData as WorkerTask;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const context = withHelpers(task.data, task.log);
try {
  const rendering = renderHere(task.template, context, task.job, {
    onFile: (path) => post({ kind: 'file', path }),
    onInclude: (path) => post({ kind: 'include', path }),
  });
  post({ kind: 'done', rendering, secrets: task.log.handedOut });
} catch (error) {
  post({ kind: 'failed', error: toPosted(error) });
}
