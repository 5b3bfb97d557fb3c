// Processes the gateway benchmark starts: each in a process group of its own, its CPU read from
// /proc (its own, and separately that of every process below it, found by walking /proc/*/stat's
// ppid), and every one of them stopped at the end, also when a target fails or the bench is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in clock ticks of 10 ms.

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  ticks: number;
  startTime: number;
}

function readStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields restart after the last ')'.
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is state (field 3): ppid is field 4, utime 14, stime 15, starttime 22.
  return {
    pid,
    ppid: Number(fields[1]),
    comm,
    state: fields[0]!,
    ticks: Number(fields[11]) + Number(fields[12]),
    startTime: Number(fields[19]),
  };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) stats.push(s);
  }
  return stats;
}

/** Every process below `pid` (children, their children…), from one pass over /proc. */
export function descendants(pid: number, stats: ProcStat[] = allStats()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const found: ProcStat[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** CPU ticks of a process, and per descendant (keyed by pid and start time, so a reused pid is not confused). */
export interface CpuSnapshot {
  own: number;
  children: Map<string, number>;
  childNames: string[];
}

/**
 * Processes below a proxy that are not its work: tsx's esbuild service, which the bench's way of
 * running the gateway from TypeScript adds (a built gateway would not have it; idle after start-up).
 */
const NOT_STARTED_BY_THE_PROXY = new Set(['esbuild']);

export function cpuSnapshot(pid: number): CpuSnapshot {
  const stats = allStats();
  const own = stats.find((s) => s.pid === pid)?.ticks ?? 0;
  const below = descendants(pid, stats).filter((s) => !NOT_STARTED_BY_THE_PROXY.has(s.comm));
  return {
    own,
    children: new Map(below.map((s) => [`${s.pid}@${s.startTime}`, s.ticks])),
    childNames: below.map((s) => s.comm),
  };
}

/** ms of CPU between two snapshots, the process's own and its descendants' (a child started in between counts from 0). */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { ownMs: number; childrenMs: number } {
  let children = 0;
  for (const [key, ticks] of after.children) children += ticks - (before.children.get(key) ?? 0);
  return { ownMs: (after.own - before.own) * TICK_MS, childrenMs: children * TICK_MS };
}

export interface Started {
  child: ChildProcess;
  pid: number;
  /** The first match of `ready` in its output (null: none was asked for). */
  match: RegExpExecArray | null;
  /** The last 2,000 characters it printed. */
  tail: () => string;
  exited: () => boolean;
}

/** Every process group this bench started and has not stopped yet. */
const live = new Set<Started>();

/**
 * Starts a process in a process group of its own and waits for `ready` in its output (or, with
 * null, returns at once and the caller waits for its port). Its pipes are drained for its whole
 * life; once started, only a short tail is kept, so a proxy that logs per call costs the bench nothing.
 */
export function startProcess(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd: string; ready: RegExp | null; timeoutMs?: number },
): Promise<Started> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let started = false;
  let exited = false;
  const handle: Started = {
    child,
    pid: child.pid ?? -1,
    match: null,
    tail: () => output,
    exited: () => exited,
  };
  if (child.pid) live.add(handle);
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      void stopProcess(handle).finally(() => reject(error));
    };
    const timer = setTimeout(
      () =>
        fail(
          new Error(
            `${command} ${args.join(' ')} did not start within ${(options.timeoutMs ?? 120_000) / 1000} s:\n${output.slice(-2000)}`,
          ),
        ),
      options.timeoutMs ?? 120_000,
    );
    const onData = (chunk: Buffer) => {
      output = started ? (output + chunk.toString()).slice(-2000) : output + chunk.toString();
      if (started) return;
      const match = options.ready?.exec(output);
      if (match) {
        started = true;
        output = output.slice(-2000);
        clearTimeout(timer);
        handle.match = match;
        resolve(handle);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      exited = true;
      clearTimeout(timer);
      live.delete(handle);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      if (!started) fail(new Error(`${command} exited with ${code ?? signal}:\n${output.slice(-2000)}`));
    });
    if (options.ready === null) {
      started = true;
      clearTimeout(timer);
      resolve(handle);
    }
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function alive(s: ProcStat): boolean {
  const now = readStat(s.pid);
  return now !== undefined && now.startTime === s.startTime && now.state !== 'Z';
}

/**
 * Stops a started process, its process group and every process below it (some, like bwrap
 * --new-session, leave the group): SIGTERM to the leader first (the gateway shuts down gracefully
 * and writes its profile), then the group and the descendants, SIGKILL for whatever is left.
 */
export async function stopProcess(handle: Started, graceMs = 3_000): Promise<void> {
  live.delete(handle);
  if (handle.pid <= 0) return;
  const self = readStat(handle.pid);
  const tree = [...(self ? [self] : []), ...descendants(handle.pid)];
  if (!handle.exited()) {
    signal(handle.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (!handle.exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  signal(-handle.pid, 'SIGTERM');
  for (const s of tree) if (alive(s)) signal(s.pid, 'SIGTERM');
  const deadline = Date.now() + 2_000;
  while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signal(-handle.pid, 'SIGKILL');
  for (const s of tree) if (alive(s)) signal(s.pid, 'SIGKILL');
  handle.child.stdout?.destroy();
  handle.child.stderr?.destroy();
  handle.child.stdin?.destroy();
}

export async function stopAll(graceMs?: number): Promise<void> {
  await Promise.all([...live].reverse().map((h) => stopProcess(h, graceMs)));
}

/** Last resort on exit (synchronous): SIGKILL every group still recorded. */
export function killAllSync(): void {
  for (const h of live) {
    for (const s of descendants(h.pid)) signal(s.pid, 'SIGKILL');
    signal(-h.pid, 'SIGKILL');
  }
  live.clear();
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs = 60_000, gone?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await listening(port)) return;
    if (gone?.()) throw new Error(`exited before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
