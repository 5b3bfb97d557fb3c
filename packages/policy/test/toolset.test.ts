import { describe, expect, it } from 'vitest';
import { counterKey } from '../src/counter-key.ts';
import {
  checkToolsetNames,
  defaultPrefix,
  exposedName,
  exposedNameTable,
  narrowDecision,
  PREFIX_PATTERN,
  splitPrefixed,
  TOOLSET_RULE,
} from '../src/toolset.ts';
import type { Decision } from '../src/types.ts';

const allow: Decision = { effect: 'allow', rule: '/tools/echo', counters: [] };

describe('toolset names', () => {
  it('defaults the prefix to the server name as a slug', () => {
    expect(defaultPrefix('Twikit')).toBe('twikit');
    expect(defaultPrefix('GitHub (prod) — EU')).toBe('github-prod-eu');
    expect(defaultPrefix('***')).toBe('server');
    expect(PREFIX_PATTERN.test(defaultPrefix('A'.repeat(80)))).toBe(true);
  });

  it('accepts prefixes without the separator only', () => {
    for (const ok of ['twikit', 'gh', 'a', 'my_server', 'x-1']) expect(PREFIX_PATTERN.test(ok)).toBe(true);
    for (const bad of ['', 'a__b', 'Twikit', '-a', 'a-', '_a', 'a'.repeat(33), 'a b'])
      expect(PREFIX_PATTERN.test(bad)).toBe(false);
  });

  it('exposes the toolset override, else the server override, else the upstream name, after the prefix', () => {
    const member = { prefix: 'gh', overrides: { create_issue: { name: 'open_issue' } } };
    expect(exposedName(member, 'create_issue', 'file_issue')).toBe('gh__open_issue');
    expect(exposedName(member, 'list_repos', 'repos')).toBe('gh__repos');
    expect(exposedName(member, 'list_repos')).toBe('gh__list_repos');
    const table = exposedNameTable(member, [{ name: 'create_issue' }, { name: 'list_repos' }]);
    expect(table.get('gh__open_issue')).toBe('create_issue');
    expect(table.has('gh__create_issue')).toBe(false);
  });

  it('reads only own overrides: a tool named constructor or __proto__ keeps its name', () => {
    const member = { prefix: 'tw', overrides: { post: { name: 'send' } } };
    expect(exposedName(member, 'constructor')).toBe('tw__constructor');
    expect(exposedName(member, '__proto__')).toBe('tw____proto__');
    expect(exposedName(member, 'toString', 'str')).toBe('tw__str');
    expect(
      checkToolsetNames([
        { serverName: 'T', prefix: 'tw', overrides: member.overrides, tools: [{ name: 'constructor' }] },
      ]),
    ).toEqual([]);
  });

  it('routes a prefixed name to its member at the first separator', () => {
    const members = new Map([
      ['twikit', { prefix: 'twikit' }],
      ['gh', { prefix: 'gh' }],
    ]);
    expect(splitPrefixed(members, 'gh__create__issue')).toEqual({
      member: members.get('gh'),
      rest: 'create__issue',
    });
    expect(splitPrefixed(members, 'github__x')).toBeUndefined();
    expect(splitPrefixed(members, '__x')).toBeUndefined();
    expect(splitPrefixed(members, 'twikit')).toBeUndefined();
  });

  it('refuses collisions at save with messages that name both sides', () => {
    const errors = checkToolsetNames([
      {
        serverName: 'Twikit',
        prefix: 'x',
        overrides: {},
        tools: [{ name: 'post' }],
        resourceUris: ['file:///a'],
      },
      {
        serverName: 'X mirror',
        prefix: 'x',
        overrides: {},
        tools: [{ name: 'send' }],
        resourceUris: ['file:///a'],
      },
      {
        serverName: 'GitHub',
        prefix: 'gh',
        overrides: { a: { name: 'same' } },
        tools: [{ name: 'a' }, { name: 'b', overrideName: 'same' }],
      },
    ]);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Prefix "x" is used by both Twikit and X mirror/),
        expect.stringMatching(/Tool name "gh__same" is used by both GitHub's tool a and GitHub's tool b/),
        expect.stringMatching(/Resource file:\/\/\/a is listed by both Twikit and X mirror/),
      ]),
    );
    expect(
      checkToolsetNames([
        { serverName: 'Twikit', prefix: 'twikit', overrides: {}, tools: [{ name: 'post' }] },
        { serverName: 'GitHub', prefix: 'gh', overrides: {}, tools: [{ name: 'post' }] },
      ]),
    ).toEqual([]);
  });

  it('refuses an exposed name MCP does not allow and a bad prefix', () => {
    const errors = checkToolsetNames([
      { serverName: 'Long', prefix: 'Bad__', overrides: {}, tools: [{ name: 'a'.repeat(127) }] },
    ]);
    expect(errors.join('\n')).toMatch(/Prefix "Bad__" of Long is not valid/);
    expect(errors.join('\n')).toMatch(/is not valid: at most 128/);
  });
});

describe('toolset narrowing', () => {
  it('only takes away: a tool outside the subset is not available; inside, the server policy decides', () => {
    const member = { allTools: false, tools: ['echo'] };
    expect(narrowDecision(allow, member, 'echo', 'e__echo')).toBe(allow);
    const deny: Decision = { effect: 'deny', rule: '/tools/echo', reason: 'no', counters: [] };
    expect(narrowDecision(deny, member, 'echo', 'e__echo')).toBe(deny);
    expect(narrowDecision(allow, member, 'add', 'e__add')).toMatchObject({
      effect: 'hide',
      rule: TOOLSET_RULE,
      reason: 'Tool e__add is not available on this server',
    });
    expect(narrowDecision(allow, { allTools: true, tools: [] }, 'add', 'e__add')).toBe(allow);
  });

  it('keys unnamed grant and session limits per server in a toolset grant, named ones across servers', () => {
    const unnamed = { name: 'tools/echo/limits/0', scope: 'grant' as const, windowMs: 60_000, named: false };
    const ids = { grantId: 'g1', sessionId: 's1', serverId: 'srv1', orgId: 'o' };
    expect(counterKey(unnamed, ids)).toBe('grant:g1:tools%2Fecho%2Flimits%2F0:60000');
    expect(counterKey(unnamed, { ...ids, acrossServers: true })).toBe(
      'grant:g1:~srv1~tools%2Fecho%2Flimits%2F0:60000',
    );
    expect(counterKey({ ...unnamed, scope: 'session' }, { ...ids, acrossServers: true })).toMatch(
      /^session:s1:~srv1~/,
    );
    const named = { name: 'stack', scope: 'grant' as const, windowMs: 60_000, named: true };
    expect(counterKey(named, { ...ids, acrossServers: true })).toBe(
      counterKey(named, { ...ids, serverId: 'srv2', acrossServers: true }),
    );
  });
});
