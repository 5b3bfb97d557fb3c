// Real processes under the real sandbox: what a hostile stdio server can see and do on this host.
// Runs as root here and in CI (the gateway's user when `npm start` runs as root), so a confinement
// bug shows up as root access.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectUpstream, listAllTools } from '../src/connect-upstream.ts';
import {
  confineStdioLaunch,
  DEFAULT_SANDBOX,
  probeSandboxSupport,
  type SandboxMode,
} from '../src/stdio-sandbox.ts';
import { parseStdioTemplates, type StdioTemplate } from '../src/stdio-templates.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const root = process.getuid?.() === 0;
const support = probeSandboxSupport();

// A "host" with a secret only root may read (like .data/secrets.json) and a world-readable file
// outside anything the template binds (like the checkout).
const host = mkdtempSync(join(tmpdir(), 'sandbox-host-'));
chmodSync(host, 0o755);
const dataDir = join(host, 'data');
mkdirSync(dataDir, { mode: 0o700 });
writeFileSync(join(dataDir, 'secrets.json'), '{"key":"root-only"}', { mode: 0o600 });
const worldReadable = join(host, 'checkout-file.txt');
writeFileSync(worldReadable, 'checkout', { mode: 0o644 });
const probeDir = join(host, 'probe');
mkdirSync(probeDir, { mode: 0o755 });
const probe = join(probeDir, 'probe.mjs');
// Node 24 reserves its code range per V8 isolate against RLIMIT_DATA and cannot start under 512 MiB
// (docs/stdio-templates.md), so the probe gets 2048 MiB and tries to allocate twice that.
const memoryMb = 2048;
writeFileSync(
  probe,
  `import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
const tryRead = (f) => { try { fs.readFileSync(f); return 'read'; } catch (e) { return e.code; } };
let files = 0; const fds = [];
try { for (; files < 1000; files++) fds.push(fs.openSync('/dev/null', 'r')); } catch {}
for (const fd of fds) fs.closeSync(fd);
// Processes alive at once: a shell forks sleepers until fork fails, printing each count.
const forks = spawnSync('/bin/sh', ['-c', 'i=0; while [ $i -lt 200 ]; do /bin/sleep 1 >/dev/null 2>&1 & i=$((i+1)); echo $i; done'], { encoding: 'utf8' });
const children = Math.max(0, ...forks.stdout.trim().split(/\\s+/).map(Number).filter(Number.isFinite));
// A host service on loopback (PostgreSQL here and in CI).
const net = await import('node:net');
const hostService = await new Promise((resolve) => {
  const socket = net.connect(5432, '127.0.0.1', () => { socket.destroy(); resolve('connected'); });
  socket.on('error', (e) => resolve(e.code));
  setTimeout(() => { socket.destroy(); resolve('timeout'); }, 2000);
});
let parentVisible = false; try { process.kill(${process.pid}, 0); parentVisible = true; } catch {}
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), cwd: process.cwd(), home: process.env.HOME,
  cwdEntries: fs.readdirSync(process.cwd()), env: Object.keys(process.env).sort().filter((k) => k !== 'PWD'),
  secret: tryRead(${JSON.stringify(join(dataDir, 'secrets.json'))}), worldReadable: tryRead(${JSON.stringify(worldReadable)}),
  checkout: tryRead(${JSON.stringify(join(repoRoot, 'package.json'))}), files, children, parentVisible, hostService,
}));
// Memory last: past the limit the process may die (V8 aborts) rather than throw.
const keep = [];
for (let i = 1; i <= ${(2 * memoryMb) / 16}; i++) { keep.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log('allocated ' + i * 16); }`,
  { mode: 0o644 },
);

function template(extra: Partial<StdioTemplate> = {}): StdioTemplate {
  return parseStdioTemplates(
    JSON.stringify([
      {
        id: 'probe',
        name: 'Probe',
        command: process.execPath,
        args: [probe],
        env: { FIXED: '1' },
        tenantEnv: { TOKEN: {} },
        readOnlyPaths: [probeDir],
        limits: { memoryMb, processes: 32, openFiles: 64 },
        ...extra,
      },
    ]),
    undefined,
  )[0]!;
}

interface ProbeReport {
  uid: number;
  gid: number;
  groups: number[];
  cwd: string;
  home: string;
  cwdEntries: string[];
  env: string[];
  secret: string;
  worldReadable: string;
  checkout: string;
  files: number;
  children: number;
  parentVisible: boolean;
  hostService: string;
}

async function runConfined(mode: SandboxMode, serverId: string) {
  const t = template();
  const confined = confineStdioLaunch(
    { command: t.command, args: t.args, env: { TOKEN: 'tenant-secret', FIXED: '1' }, template: t },
    serverId,
    { ...DEFAULT_SANDBOX, mode },
  );
  const child = spawn(confined.command, confined.args, {
    env: confined.env,
    cwd: confined.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (err += c));
  await new Promise((resolve) => child.once('close', resolve));
  confined.cleanup();
  try {
    const lines = out.trim().split('\n');
    const allocated = lines
      .filter((line) => line.startsWith('allocated '))
      .map((line) => Number(line.slice(10)));
    const report = JSON.parse(lines.find((line) => line.startsWith('{'))!) as ProbeReport;
    return { ...report, allocatedMb: Math.max(0, ...allocated) };
  } catch {
    throw new Error(`probe printed no report: ${out} ${err}`);
  }
}

describe.skipIf(!root)('stdio sandbox (as root, like npm start here)', () => {
  it('user mode: another unprivileged user per server, scrubbed env, empty private HOME, limits', async () => {
    const a = await runConfined('user', 'server-a');
    const b = await runConfined('user', 'server-b');
    expect(a.uid).not.toBe(0);
    expect(a.uid).toBeGreaterThanOrEqual(DEFAULT_SANDBOX.uidBase);
    expect(a.gid).toBe(a.uid);
    expect(a.groups).toEqual([a.uid]);
    expect(b.uid).not.toBe(a.uid);
    expect(a.env).toEqual(['FIXED', 'HOME', 'LOGNAME', 'PATH', 'SHELL', 'TMPDIR', 'TOKEN', 'USER']);
    expect(a.cwd).toBe(a.home);
    expect(a.cwdEntries).toEqual([]);
    expect(a.secret).toBe('EACCES');
    expect(a.files).toBeLessThan(64);
    expect(a.children).toBeLessThan(32);
    expect(a.allocatedMb).toBeGreaterThan(0);
    expect(a.allocatedMb).toBeLessThan(memoryMb);
  });

  it.skipIf(!support.bwrap && !process.env.CI)(
    'bwrap mode: also no view of the host files, other processes or the network',
    async () => {
      expect(support.bwrap, 'bubblewrap must work here (.ci/run installs it)').toBeDefined();
      const a = await runConfined('bwrap', 'server-c');
      expect(a.uid).not.toBe(0);
      expect(a.uid).toBeGreaterThanOrEqual(DEFAULT_SANDBOX.uidBase);
      expect(a.secret).toBe('ENOENT');
      expect(a.worldReadable).toBe('ENOENT');
      expect(a.checkout).toBe('ENOENT');
      expect(a.parentVisible).toBe(false);
      expect(a.hostService).not.toBe('connected');
      expect(a.cwd).toBe('/home/mcp');
      expect(a.cwdEntries).toEqual([]);
      expect(a.env).toEqual(['FIXED', 'HOME', 'LOGNAME', 'PATH', 'SHELL', 'TMPDIR', 'TOKEN', 'USER']);
      expect(a.files).toBeLessThan(64);
      expect(a.children).toBeLessThan(32);
      expect(a.allocatedMb).toBeGreaterThan(0);
      expect(a.allocatedMb).toBeLessThan(memoryMb);
    },
  );

  it.skipIf(!support.bwrap && !process.env.CI)(
    'the Twikit template runs in the sandbox and lists its tools',
    async () => {
      const twikit = parseStdioTemplates(
        JSON.stringify([
          {
            id: 'twikit',
            name: 'Twikit',
            command: process.execPath,
            args: [join(repoRoot, 'apps/twikit/bin/twikit-mcp.mjs'), '--stdio'],
            readOnlyPaths: [join(repoRoot, 'apps/twikit'), join(repoRoot, 'node_modules')],
          },
        ]),
        undefined,
      );
      const client = await connectUpstream(
        {
          transport: 'stdio',
          organizationId: 'o1',
          serverId: 'srv-twikit',
          stdioTemplate: 'twikit',
          args: [],
        },
        {
          allowPrivateNetworks: false,
          timeoutMs: 20_000,
          stdio: { templates: twikit, sandbox: { ...DEFAULT_SANDBOX, mode: 'bwrap' } },
        },
      );
      try {
        expect((await listAllTools(client, 10_000)).length).toBe(62);
      } finally {
        await client.close();
      }
    },
  );
});
