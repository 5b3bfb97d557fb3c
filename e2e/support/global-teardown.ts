import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import type { TestDatabase } from '@portcullis/db/test-database';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__portcullisStack as
    { child: ChildProcess; db: TestDatabase; dataDir: string } | undefined;
  if (!stack) return;
  const exited = new Promise<void>((resolve) => stack.child.once('exit', () => resolve()));
  stack.child.kill('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (stack.child.exitCode === null && stack.child.pid) process.kill(-stack.child.pid, 'SIGKILL');
  await stack.db.drop();
  await rm(stack.dataDir, { recursive: true, force: true });
}
