import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyTool, type ToolDescription } from '../src/classify.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

function loadTools(file: string): ToolDescription[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { tools: ToolDescription[] }).tools;
}

/** category/severity for each tool, decided by hand. */
function expectTable(tools: ToolDescription[], table: Record<string, string>): void {
  expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(table).sort());
  const actual = Object.fromEntries(
    tools.map((t) => [t.name, `${classifyTool(t).category}/${classifyTool(t).severity}`]),
  );
  expect(actual).toEqual(table);
}

describe('classifyTool on the Twikit catalog (62 tools, no annotations)', () => {
  const tools = loadTools(path.resolve(repoRoot, '../shared/fixtures/twikit-tools.json'));
  it('has 62 tools', () => expect(tools).toHaveLength(62));
  it('classifies every tool as decided', () => {
    expectTable(tools, {
      send_tweet: 'write/high', // publishes
      get_tweet: 'read/low',
      get_tweet_replies: 'read/low',
      download_tweet_video: 'write/low', // writes a local file, nothing remote changes
      get_timeline: 'read/low',
      search_tweets: 'read/low',
      like_tweet: 'write/medium',
      retweet: 'write/high', // reposts to all followers
      get_user_tweets: 'read/low',
      get_user_info: 'read/low',
      get_user_followers: 'read/low',
      get_user_following: 'read/low',
      follow_user: 'write/medium',
      unfollow_user: 'write/medium',
      delete_tweet: 'destructive/high',
      unfavorite_tweet: 'write/medium', // undoing a like is itself reversible
      delete_retweet: 'destructive/high', // every delete_* is destructive: conservative
      bookmark_tweet: 'write/medium',
      delete_bookmark: 'destructive/high',
      get_bookmarks: 'read/low',
      get_favoriters: 'read/low',
      get_retweeters: 'read/low',
      search_user: 'read/low',
      get_trends: 'read/low',
      get_article_preview: 'read/low',
      get_article: 'read/low',
      block_user: 'destructive/high', // also drops follow links both ways
      unblock_user: 'write/medium',
      mute_user: 'write/medium',
      unmute_user: 'write/medium',
      get_notifications: 'read/low',
      send_dm: 'write/high',
      send_dm_to_group: 'write/high',
      get_dm_history: 'read/low',
      delete_dm: 'destructive/high',
      get_list: 'read/low',
      get_lists: 'read/low',
      get_list_tweets: 'read/low',
      get_list_members: 'read/low',
      get_list_subscribers: 'read/low',
      create_list: 'write/medium', // an organising object, not a post
      edit_list: 'write/medium',
      add_list_member: 'write/medium',
      remove_list_member: 'destructive/high', // "remove" is treated as destructive everywhere
      create_scheduled_tweet: 'write/high', // a post that will be published
      get_scheduled_tweets: 'read/low',
      delete_scheduled_tweet: 'destructive/high',
      create_poll: 'write/medium', // a card, published only when attached to a post
      vote: 'write/medium',
      get_community: 'read/low',
      search_community: 'read/low',
      get_community_tweets: 'read/low',
      get_communities_timeline: 'read/low',
      get_community_members: 'read/low',
      get_community_moderators: 'read/low',
      search_community_tweet: 'read/low',
      join_community: 'write/medium',
      leave_community: 'write/medium', // reversible: the account can rejoin
      request_to_join_community: 'write/medium',
      xchat_status: 'read/low',
      xchat_list_conversations: 'read/low',
      xchat_get_history: 'read/low',
    });
  });
  it('explains itself', () => {
    const why = classifyTool(tools.find((t) => t.name === 'leave_community')!).why;
    expect(why).toBe('write/medium: its name\'s verb "leave" changes state in a way that can be undone');
  });
});

describe('classifyTool on other public MCP servers (see fixtures for package and version)', () => {
  it('@modelcontextprotocol/server-filesystem: annotations win, heuristics agree without them', () => {
    const tools = loadTools(path.join(here, 'fixtures/server-filesystem.json'));
    expectTable(tools, {
      read_file: 'read/low',
      read_text_file: 'read/low',
      read_media_file: 'read/low',
      read_multiple_files: 'read/low',
      write_file: 'destructive/high', // destructiveHint: it overwrites existing files
      edit_file: 'destructive/high', // destructiveHint
      create_directory: 'write/medium',
      list_directory: 'read/low',
      list_directory_with_sizes: 'read/low',
      directory_tree: 'read/low',
      move_file: 'destructive/high', // destructiveHint
      search_files: 'read/low',
      get_file_info: 'read/low',
      list_allowed_directories: 'read/low',
    });
    const withoutHints = tools.map((t) => ({ ...t, annotations: undefined }));
    expectTable(withoutHints, {
      read_file: 'read/low',
      read_text_file: 'read/low',
      read_media_file: 'read/low',
      read_multiple_files: 'read/low',
      write_file: 'write/medium',
      edit_file: 'write/medium',
      create_directory: 'write/medium',
      list_directory: 'read/low',
      list_directory_with_sizes: 'read/low',
      directory_tree: 'read/low', // no verb in the name: "tree" is something to look at
      move_file: 'write/medium',
      search_files: 'read/low',
      get_file_info: 'read/low',
      list_allowed_directories: 'read/low',
    });
  });

  it('@modelcontextprotocol/server-memory', () => {
    const tools = loadTools(path.join(here, 'fixtures/server-memory.json'));
    const table = {
      create_entities: 'write/medium',
      create_relations: 'write/medium',
      add_observations: 'write/medium',
      delete_entities: 'destructive/high',
      delete_observations: 'destructive/high',
      delete_relations: 'destructive/high',
      read_graph: 'read/low',
      search_nodes: 'read/low',
      open_nodes: 'read/low',
    };
    expectTable(tools, table);
    expectTable(
      tools.map((t) => ({ ...t, annotations: undefined })),
      table,
    );
  });

  it('@modelcontextprotocol/server-everything', () => {
    const tools = loadTools(path.join(here, 'fixtures/server-everything.json'));
    expectTable(tools, {
      echo: 'read/low',
      'get-annotated-message': 'read/low',
      'get-env': 'read/low',
      'get-resource-links': 'read/low',
      'get-resource-reference': 'read/low',
      'get-structured-content': 'read/low',
      'get-sum': 'read/low',
      'get-tiny-image': 'read/low',
      'gzip-file-as-resource': 'write/medium',
      'toggle-simulated-logging': 'write/medium',
      'toggle-subscriber-updates': 'write/medium',
      'trigger-long-running-operation': 'read/low', // readOnlyHint
      'simulate-research-query': 'write/low', // readOnlyHint false overrides the "query" guess
    });
  });

  it('@modelcontextprotocol/server-github (no annotations)', () => {
    const tools = loadTools(path.join(here, 'fixtures/server-github.json'));
    expectTable(tools, {
      create_or_update_file: 'write/medium',
      search_repositories: 'read/low',
      create_repository: 'write/medium',
      get_file_contents: 'read/low',
      push_files: 'write/high',
      create_issue: 'write/high',
      create_pull_request: 'write/high',
      fork_repository: 'write/medium',
      create_branch: 'write/medium',
      list_commits: 'read/low',
      list_issues: 'read/low',
      update_issue: 'write/medium',
      add_issue_comment: 'write/high',
      search_code: 'read/low',
      search_issues: 'read/low',
      search_users: 'read/low',
      get_issue: 'read/low',
      get_pull_request: 'read/low',
      list_pull_requests: 'read/low',
      create_pull_request_review: 'write/high',
      merge_pull_request: 'write/high',
      get_pull_request_files: 'read/low',
      get_pull_request_status: 'read/low',
      update_pull_request_branch: 'write/medium',
      get_pull_request_comments: 'read/low',
      get_pull_request_reviews: 'read/low',
    });
  });
});

describe('classifyTool on invented tools of unseen kinds', () => {
  const cases: Array<[ToolDescription, string]> = [
    [{ name: 'execute_sql', description: 'Runs a SQL statement.' }, 'destructive/high'],
    [{ name: 'list_tables' }, 'read/low'],
    [{ name: 'dropTable' }, 'destructive/high'],
    [{ name: 'tweet_delete' }, 'destructive/high'],
    [{ name: 'revokeToken' }, 'destructive/high'],
    [{ name: 'postMessage' }, 'write/high'],
    [{ name: 'kill_process' }, 'destructive/high'],
    [
      { name: 'archive_note', description: 'Permanently archives a note; this cannot be undone.' },
      'destructive/high',
    ],
    [{ name: 'weather', description: 'Returns the forecast for a city.' }, 'read/low'],
    [{ name: 'frobnicate', description: 'Sends the widget to the printer.' }, 'write/high'],
    [
      { name: 'frobnicate', inputSchema: { type: 'object', properties: { query: {}, limit: {} } } },
      'read/low',
    ],
    [{ name: 'frobnicate', inputSchema: { type: 'object', properties: { target: {} } } }, 'write/medium'],
    [{ name: 'delete_everything', annotations: { readOnlyHint: true } }, 'read/low'],
    [{ name: 'get_thing', annotations: { readOnlyHint: false, destructiveHint: true } }, 'destructive/high'],
    [{ name: 'remove_tag', annotations: { readOnlyHint: false, destructiveHint: false } }, 'write/high'],
    [{ name: 'get_thing', annotations: { title: 'Thing' } }, 'read/low'],
  ];
  it.each(cases)('%o → %s', (tool, expected) => {
    const c = classifyTool(tool);
    expect(`${c.category}/${c.severity}`).toBe(expected);
    expect(c.why.length).toBeGreaterThan(10);
  });
});
