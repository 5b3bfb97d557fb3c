// Confines stdio server processes. A tenant's stdio server is hostile code as far as the host is
// concerned: it runs as an unprivileged user of its own (never the gateway's user), with only the
// environment its template declares, an empty private working directory and HOME, resource limits,
// and, where bubblewrap can make namespaces, a file system holding /usr and the template's own paths
// only (no .data/, no checkout, no other tenant's files), no other process and, unless the template
// asks, no network.
//
// The process is started through util-linux's `prlimit` (limits) and `setpriv` (user switch), then
// `bwrap`: each execs the next, so the pid the SDK holds is the sandbox's.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_STDIO_LIMITS, type StdioLaunch, type StdioLimits } from './stdio-templates.ts';

export type SandboxMode = 'auto' | 'bwrap' | 'user' | 'off';

export interface SandboxConfig {
  /** auto: bwrap where it works, else a user switch when running as root, else stdio is refused. */
  mode: SandboxMode;
  /** Each server runs as uid/gid uidBase + (hash of its id mod uidCount), so servers share no user. */
  uidBase: number;
  uidCount: number;
}

export const DEFAULT_SANDBOX: SandboxConfig = { mode: 'auto', uidBase: 700_000, uidCount: 100_000 };

/** What this host can do, probed once per process. */
export interface SandboxSupport {
  root: boolean;
  bwrap: string | undefined;
  prlimit: string | undefined;
  setpriv: string | undefined;
}

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'];

function firstExisting(candidates: readonly string[]): string | undefined {
  return candidates.find((file) => existsSync(file));
}

let probed: SandboxSupport | undefined;
// Apps may declare required ProcessEnv keys (Next.js: NODE_ENV); the probe gets PATH only.
const PROBE_ENV = { PATH: '/usr/bin:/bin' } as unknown as NodeJS.ProcessEnv;

/** Whether bwrap can make its namespaces here (containers often forbid user namespaces). */
export function probeSandboxSupport(config: SandboxConfig = DEFAULT_SANDBOX): SandboxSupport {
  if (probed) return probed;
  const root = process.getuid?.() === 0;
  const prlimit = firstExisting(['/usr/bin/prlimit', '/bin/prlimit']);
  const setpriv = firstExisting(['/usr/bin/setpriv', '/bin/setpriv']);
  let bwrap = firstExisting(BWRAP_CANDIDATES);
  if (bwrap) {
    const userSwitch =
      root && setpriv
        ? [
            setpriv,
            '--reuid',
            String(config.uidBase),
            '--regid',
            String(config.uidBase),
            '--clear-groups',
            '--no-new-privs',
          ]
        : [];
    const argv = [
      ...userSwitch,
      bwrap,
      '--unshare-all',
      '--die-with-parent',
      ...baseFileSystem(),
      '--',
      '/usr/bin/true',
    ];
    const probe = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 5_000, env: PROBE_ENV });
    if (probe.status !== 0) bwrap = undefined;
  }
  probed = { root, bwrap, prlimit, setpriv };
  return probed;
}

/** The effective mode on this host; throws a sentence naming the setting when stdio must be refused. */
export function effectiveSandboxMode(config: SandboxConfig): 'bwrap' | 'user' | 'off' {
  if (config.mode === 'off') return 'off';
  const support = probeSandboxSupport(config);
  const userSwitch = support.root && support.setpriv && support.prlimit;
  if (config.mode === 'bwrap' || config.mode === 'auto') {
    if (support.bwrap && (support.root ? userSwitch : support.prlimit)) return 'bwrap';
    if (config.mode === 'bwrap')
      throw new SandboxUnavailableError(
        'STDIO_SANDBOX=bwrap, but bubblewrap cannot create its namespaces on this host (install bubblewrap, allow user namespaces)',
      );
  }
  if (userSwitch) return 'user';
  throw new SandboxUnavailableError(
    'stdio servers are refused: no sandbox is available on this host (install bubblewrap and allow user namespaces, or run the gateway as root so it can switch users; STDIO_SANDBOX=off runs them unconfined)',
  );
}

export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

/** The uid (and gid) a server's processes run as. */
export function sandboxUid(config: SandboxConfig, key: string): number {
  const digest = createHash('sha256').update(key).digest();
  return config.uidBase + (digest.readUInt32BE(0) % config.uidCount);
}

/** /usr read-only, with the host's /bin, /lib… as they are there (symlinks into /usr, or directories). */
function baseFileSystem(): string[] {
  const args = ['--ro-bind', '/usr', '/usr', '--proc', '/proc', '--dev', '/dev'];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', path.posix.join('usr', path.basename(dir)), dir);
    else args.push('--ro-bind', dir, dir);
  }
  return args;
}

// What name resolution and TLS need when a template asks for the network.
const NETWORK_FILES = [
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
];

const HOME = '/home/mcp';
const PATH_VALUE = '/usr/local/bin:/usr/bin:/bin';

/** The confined process: argv, environment and working directory, plus what to remove after it exits. */
export interface ConfinedLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  cleanup: () => void;
  mode: 'bwrap' | 'user' | 'off';
}

function limitArgs(prlimit: string, limits: StdioLimits): string[] {
  const mib = 1024 * 1024;
  return [
    prlimit,
    `--data=${limits.memoryMb * mib}`,
    `--nproc=${limits.processes}`,
    `--nofile=${limits.openFiles}`,
    `--fsize=${limits.fileSizeMb * mib}`,
    '--core=0',
    ...(limits.cpuSeconds ? [`--cpu=${limits.cpuSeconds}`] : []),
    '--',
  ];
}

/**
 * Wraps a resolved launch in the sandbox. `key` names the server (its id): it picks the sandbox
 * user, so two servers never share one.
 */
export function confineStdioLaunch(launch: StdioLaunch, key: string, config: SandboxConfig): ConfinedLaunch {
  const mode = effectiveSandboxMode(config);
  const limits = launch.template?.limits ?? DEFAULT_STDIO_LIMITS;
  // Only what the template declares (plus PATH and HOME): nothing of the gateway's own environment.
  const env: Record<string, string> = { PATH: PATH_VALUE, ...launch.env };
  if (mode === 'off') {
    return {
      command: launch.command,
      args: launch.args,
      env: { HOME: os.tmpdir(), ...env },
      cwd: undefined,
      cleanup: () => undefined,
      mode,
    };
  }
  const support = probeSandboxSupport(config);
  const uid = sandboxUid(config, key);
  const userSwitch = support.root
    ? [
        support.setpriv!,
        '--reuid',
        String(uid),
        '--regid',
        String(uid),
        '--clear-groups',
        '--no-new-privs',
        '--',
      ]
    : [];
  const prefix = [...limitArgs(support.prlimit!, limits), ...userSwitch];

  if (mode === 'user') {
    // No namespaces: an empty directory of the server's own user as working directory and HOME.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-stdio-'));
    chownSync(dir, uid, uid);
    chmodSync(dir, 0o700);
    return {
      command: prefix[0]!,
      args: [...prefix.slice(1), launch.command, ...launch.args],
      env: { ...env, HOME: dir, USER: `mcp-${uid}`, LOGNAME: `mcp-${uid}`, SHELL: '/bin/false', TMPDIR: dir },
      cwd: dir,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
      mode,
    };
  }

  const tmpfsBytes = String(Math.max(limits.fileSizeMb, 16) * 1024 * 1024);
  const template = launch.template;
  const bwrap = [
    support.bwrap!,
    '--die-with-parent',
    '--new-session',
    '--unshare-all',
    ...(template?.network || !template ? ['--share-net'] : []),
    ...baseFileSystem(),
    '--size',
    tmpfsBytes,
    '--tmpfs',
    '/tmp',
    '--size',
    tmpfsBytes,
    '--tmpfs',
    HOME,
    ...(template?.network || !template ? NETWORK_FILES.flatMap((file) => ['--ro-bind-try', file, file]) : []),
    ...(template?.readOnlyPaths ?? []).flatMap((p) => ['--ro-bind', p, p]),
    ...(template?.writablePaths ?? []).flatMap((p) => ['--bind', p, p]),
    '--chdir',
    HOME,
    '--',
  ];
  return {
    command: prefix[0]!,
    args: [...prefix.slice(1), ...bwrap, launch.command, ...launch.args],
    env: { ...env, HOME, USER: 'mcp', LOGNAME: 'mcp', SHELL: '/bin/false', TMPDIR: '/tmp' },
    cwd: os.tmpdir(),
    cleanup: () => undefined,
    mode,
  };
}
