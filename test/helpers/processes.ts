import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid and state of a live process, from /proc (undefined once it is gone). */
function processInfo(pid: number): { ppid: number; state: string } | undefined {
  try {
    // The command name, in parentheses, may hold spaces: the fields start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), state };
  } catch {
    return undefined;
  }
}

/** Every process descended from `pid` (children, their children…), read from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info) parents.set(Number(entry), info.ppid);
  }
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** The pids still alive (zombies, already dead and waiting for init to reap them, do not count). */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    const info = processInfo(pid);
    return info !== undefined && info.state !== 'Z';
  });
}
