// What the figures were measured on: ratios travel between machines, milliseconds do not.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

const BYTES_PER_GIB = 1024 ** 3;
const OS_RELEASE = '/etc/os-release';

function distribution() {
  if (!existsSync(OS_RELEASE)) return type();
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync(OS_RELEASE, 'utf8'));
  return pretty ? pretty[1] : type();
}

function pythonVersion() {
  try {
    return execFileSync('/usr/bin/python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'python3 not found';
  }
}

export function describeMachine() {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGib: (totalmem() / BYTES_PER_GIB).toFixed(1),
    node: process.version,
    python: pythonVersion(),
    os: `${distribution()}, ${type()} ${release()}`,
    load: loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
  };
}

export function machineLines(machine) {
  return [
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpus} × ${machine.cpuModel} (nproc ${machine.cpus})`,
    `- memory: ${machine.memoryGib} GiB`,
    `- Node.js ${machine.node}; ${machine.python}`,
    `- OS: ${machine.os}`,
    `- load average at start (1, 5, 15 min): ${machine.load}`,
  ];
}
