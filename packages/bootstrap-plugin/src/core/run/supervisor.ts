import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Keeps worker processes running as circus does for MFSERV: each in its own process group (so
 * what it forks goes with it), its output passed on line by line, restarted with back-off
 * when it exits, stopped with SIGTERM then SIGKILL within a bounded time.
 */

export interface WorkerSpec {
  /** `APP.N` or `daemon NAME.N`: prefixes its output and names it in reports. */
  label: string;
  /** The unix socket it listens on, removed whenever it stops. */
  socketPath?: string;
  /** Its command; re-read at every start. */
  argv: () => string[];
  env: Record<string, string>;
}

export interface SupervisorHooks {
  onOutput: (label: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** A worker ended by itself; it starts again after `restartInMs`. */
  onExit: (
    label: string,
    status: { code: number | null; signal: string | null; error?: string },
    restartInMs: number,
  ) => void;
}

/** First wait after a worker exits; doubled at each exit in a row, up to the maximum. */
export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 10_000;
/** A worker that ran this long had started fine: its next exit waits the first delay again. */
const STABLE_MS = 10_000;
/** Time a worker gets between SIGTERM and SIGKILL, and to be reaped after SIGKILL. */
export const STOP_GRACE_MS = 3_000;
const REAP_MS = 1_000;

class Worker {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private startedAt = 0;
  private stopping = false;

  constructor(
    readonly spec: WorkerSpec,
    private readonly options: { cwd: string; hooks: SupervisorHooks },
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    this.stopping = false;
    this.removeSocket();
    const [command, ...args] = this.spec.argv();
    const child = spawn(command, args, {
      cwd: this.options.cwd,
      env: this.spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.startedAt = Date.now();
    this.forwardLines(child, 'stdout');
    this.forwardLines(child, 'stderr');
    let spawnError: string | undefined;
    child.on('error', (error) => {
      spawnError = error.message;
      // A command that never started emits no 'exit'.
      if (child.pid === undefined) this.exited(child, { code: null, signal: null, error: spawnError });
    });
    child.on('exit', (code, signal) => this.exited(child, { code, signal, error: spawnError }));
  }

  private exited(child: ChildProcess, status: { code: number | null; signal: string | null; error?: string }): void {
    if (this.child !== child) return;
    this.child = undefined;
    killGroup(child, 'SIGKILL');
    this.removeSocket();
    if (this.stopping) return;
    if (Date.now() - this.startedAt >= STABLE_MS) this.failures = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures++;
    this.options.hooks.onExit(this.spec.label, status, delay);
    this.timer = setTimeout(() => this.start(), delay);
  }

  private forwardLines(child: ChildProcess, stream: 'stdout' | 'stderr'): void {
    let pending = '';
    const source = child[stream]!;
    source.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.options.hooks.onOutput(this.spec.label, stream, line);
    });
    source.on('end', () => {
      if (pending) this.options.hooks.onOutput(this.spec.label, stream, pending);
      pending = '';
    });
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves when it is gone. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((done) => child.once('exit', () => done()));
    killGroup(child, 'SIGTERM');
    if (!(await settlesWithin(gone, graceMs))) {
      killGroup(child, 'SIGKILL');
      await settlesWithin(gone, REAP_MS);
    }
    // Whatever of its group outlived it (a server's forked workers) goes too.
    killGroup(child, 'SIGKILL');
    this.child = undefined;
    this.removeSocket();
  }

  /** SIGKILL now, for a process about to exit that cannot wait. */
  killNow(): void {
    clearTimeout(this.timer);
    if (this.child) killGroup(this.child, 'SIGKILL');
    this.removeSocket();
  }

  private removeSocket(): void {
    if (this.spec.socketPath) rmSync(this.spec.socketPath, { force: true });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already empty.
  }
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** The set of workers of one `run`. */
export class Supervisor {
  private readonly workers: Worker[];
  private closed = false;

  /** Whatever ends this process early (a second Ctrl-C, a crash) takes the workers with it. */
  private readonly killAll = () => this.workers.forEach((worker) => worker.killNow());

  constructor(specs: WorkerSpec[], options: { cwd: string; hooks: SupervisorHooks }) {
    this.workers = specs.map((spec) => new Worker(spec, options));
    process.on('exit', this.killAll);
  }

  start(): void {
    if (this.closed) return;
    for (const worker of this.workers) worker.start();
  }

  /** Labels of the workers whose process is alive now. */
  running(): Set<string> {
    return new Set(this.workers.filter((w) => w.running).map((w) => w.spec.label));
  }

  /** Stops every worker, then starts them all again (a code change: new code everywhere at once). */
  async restart(): Promise<number> {
    await this.stop();
    this.start();
    return this.workers.length;
  }

  /** Stops every worker at once; bounded by the grace period plus the reaping time. */
  private async stop(graceMs?: number): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop(graceMs)));
  }

  /** Stops every worker for good: a restart under way starts nothing afterwards. */
  async shutdown(graceMs?: number): Promise<void> {
    this.closed = true;
    await this.stop(graceMs);
    process.off('exit', this.killAll);
  }
}
