// The MCP Inspector's CLI (a client we did not write) through grant URLs: the Twikit stand-in over
// stdio behind the gateway, and server-everything over Streamable HTTP. It must see the upstream's
// tools (as the policy allows), call them, and be refused by the rules.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  readCallLog,
  repoRoot,
  seed,
  startEverything,
  startGateway,
  tempFile,
  twikitServer,
  type ChildServer,
  type Seeded,
} from './harness.ts';

const run = promisify(execFile);
const inspectorBin = join(
  repoRoot,
  'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
);

/** Runs the CLI; a failing exit (the CLI exits non-zero for a tool result with isError) comes back as `failed`. */
async function inspectorRun(args: string[]): Promise<{ failed: boolean; output: unknown }> {
  try {
    const { stdout } = await run(process.execPath, [inspectorBin, '--cli', ...args], {
      timeout: 60_000,
      // The CLI keeps a catalog of servers; keep it out of the home directory.
      env: { ...process.env, MCP_CATALOG_PATH: tempFile('inspector-catalog.json'), NO_COLOR: '1' },
    });
    return { failed: false, output: JSON.parse(stdout) };
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout ?? '';
    return { failed: true, output: stdout.trim() ? JSON.parse(stdout) : String(error) };
  }
}

async function inspector(args: string[]): Promise<unknown> {
  const { failed, output } = await inspectorRun(args);
  if (failed) throw new Error(`inspector --cli failed: ${JSON.stringify(output)}`);
  return output;
}

describe('@modelcontextprotocol/inspector --cli through the gateway', () => {
  let gateway: Gateway;
  let everything: ChildServer;
  let twikit: Seeded;
  let everythingSeeded: Seeded;
  const callLog = tempFile('inspector-twikit.jsonl');

  beforeAll(async () => {
    everything = await startEverything();
    twikit = await seed(twikitServer(callLog), {
      version: '1',
      default: 'deny',
      tools: {
        get_tweet: {
          action: 'allow',
          conditions: [
            {
              when: { arg: 'tweet_id', in: ['1850000000000002', 1850000000000002] },
              action: 'deny',
              reason: 'That tweet is off limits.',
            },
          ],
        },
        send_tweet: { action: 'deny', reason: 'Agents do not post.' },
      },
    });
    everythingSeeded = await seed(
      { transport: 'streamable_http', url: everything.url },
      { version: '1', default: 'allow', tools: { 'get-sum': { action: 'hide' } } },
    );
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
    await everything?.stop();
  });

  it('lists and calls Twikit (stdio upstream) with the token in the Authorization header', async () => {
    const url = `${gateway.url}/mcp/${twikit.serverId}`;
    const auth = ['--transport', 'http', '--header', `Authorization: Bearer ${twikit.token}`];
    const listed = (await inspector([url, ...auth, '--method', 'tools/list'])) as {
      tools: Array<{ name: string }>;
    };
    expect(listed.tools.map((t) => t.name)).toEqual(['get_tweet']);
    const called = (await inspector([
      url,
      ...auth,
      '--method',
      'tools/call',
      '--tool-name',
      'get_tweet',
      '--tool-arg',
      'tweet_id=1850000000000001',
    ])) as {
      content: Array<{ text: string }>;
      isError?: boolean;
    };
    expect(called.isError).toBeFalsy();
    expect(readCallLog(callLog).map((c) => c.tool)).toEqual(['get_tweet']);
    // The CLI only calls listed tools, so the refusal comes from an argument condition; it reports a
    // tool result with isError as a failure.
    const denied = await inspectorRun([
      url,
      ...auth,
      '--method',
      'tools/call',
      '--tool-name',
      'get_tweet',
      '--tool-arg',
      'tweet_id=1850000000000002',
    ]);
    expect(denied).toMatchObject({
      failed: true,
      output: {
        isError: true,
        content: [
          {
            type: 'text',
            text: 'Denied by policy (/tools/get_tweet/conditions/0): That tweet is off limits.',
          },
        ],
        _meta: {
          'portcullis/decision': {
            effect: 'deny',
            rule: '/tools/get_tweet/conditions/0',
            reason: 'That tweet is off limits.',
            policyVersion: 1,
          },
        },
      },
    });
    expect(readCallLog(callLog).map((c) => c.tool)).toEqual(['get_tweet']);
    expect(
      (await auditRows(twikit.serverId)).map((r) => [r.toolName, r.decision, r.ruleId, r.reason]),
    ).toEqual([
      ['get_tweet', 'allow', '/tools/get_tweet', null],
      ['get_tweet', 'deny', '/tools/get_tweet/conditions/0', 'That tweet is off limits.'],
    ]);
  });

  it('lists and calls server-everything (HTTP upstream) through the token-in-URL form', async () => {
    const url = `${gateway.url}/g/${everythingSeeded.token}/mcp`;
    const listed = (await inspector([url, '--transport', 'http', '--method', 'tools/list'])) as {
      tools: Array<{ name: string }>;
    };
    const names = listed.tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('get-sum');
    const echoed = (await inspector([
      url,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'echo',
      '--tool-arg',
      'message=through the gateway',
    ])) as {
      content: Array<{ text: string }>;
    };
    expect(JSON.stringify(echoed.content)).toContain('through the gateway');
    const prompts = (await inspector([url, '--transport', 'http', '--method', 'prompts/list'])) as {
      prompts: Array<{ name: string }>;
    };
    expect(prompts.prompts.map((p) => p.name)).toContain('simple-prompt');
  });
});
