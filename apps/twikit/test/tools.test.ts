// Tool behaviour against the in-memory account, in-process over InMemoryTransport.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG_TOOLS } from '../src/catalog.ts';
import { inProcess, textOf, type Harness } from './helpers.ts';

// Seeded ids (deterministic): users alice=1001 bob=1002 carol=1003 dave=1004 xnews=1005;
// tweets 1850000000000001..10; communities TypeScript Devs=…001 (member), Birdwatchers=…002,
// Security Research=…003 (restricted); lists …001 (mine), …002 (alice's).
const T = (n: number) => String(1_850_000_000_000_000 + n);
const COMMUNITY = (n: number) => String(1_490_000_000_000_000 + n);
const LIST = (n: number) => String(1_870_000_000_000_000 + n);
const ARTICLE = String(1_890_000_000_000_001);
const GROUP = String(1_910_000_000_000_001);

let h: Harness;
beforeEach(async () => {
  h = await inProcess();
});
afterEach(async () => {
  await h.close();
});

describe('tweets', () => {
  it('read: get_tweet returns a seeded tweet', async () => {
    expect(await h.json('get_tweet', { tweet_id: T(1) })).toMatchObject({
      id: T(1),
      author: 'alice',
      text: 'Shipping a new TypeScript release today #typescript',
      created_at: 'Sun Jun 01 09:00:00 +0000 2025',
      likes: 2,
    });
    // integer ids and status URLs work too
    expect((await h.json('get_tweet', { tweet_id: Number(T(1)) })).id).toBe(T(1));
    expect((await h.json('get_tweet', { tweet_id: `https://x.com/alice/status/${T(1)}` })).id).toBe(T(1));
  });

  it('write: send_tweet is readable with get_tweet and on the timeline', async () => {
    const sent = await h.json('send_tweet', { text: 'hello portcullis' });
    expect(sent).toEqual({ id: T(11), text: 'hello portcullis', status: 'sent' });
    expect(await h.json('get_tweet', { tweet_id: sent.id })).toMatchObject({
      author: 'portcullis_demo',
      text: 'hello portcullis',
      in_reply_to: null,
    });
    const timeline = await h.json('get_timeline', { count: 5 });
    expect(timeline[0]).toMatchObject({ id: sent.id, text: 'hello portcullis' });
    // ids are deterministic counters
    expect((await h.json('send_tweet', { text: 'second' })).id).toBe(T(12));
  });

  it('replies link to the parent and show up in get_tweet_replies', async () => {
    const reply = await h.json('send_tweet', { text: 'thanks!', reply_to: T(5) });
    expect(await h.json('get_tweet', { tweet_id: reply.id })).toMatchObject({
      in_reply_to: T(5),
      conversation_id: T(4),
    });
    const replies = await h.json('get_tweet_replies', { tweet_id: T(5) });
    expect(replies.tweets.map((t: { id: string }) => t.id)).toEqual([reply.id]);
    expect(await h.error('send_tweet', { text: 'x', reply_to: '42' })).toBe('Tweet 42 not found.');
  });

  it('destructive: delete_tweet removes the tweet', async () => {
    const { id } = await h.json('send_tweet', { text: 'short-lived' });
    expect(await h.json('delete_tweet', { tweet_id: id })).toEqual({ tweet_id: id, status: 'deleted' });
    expect(await h.error('get_tweet', { tweet_id: id })).toMatch(`Tweet ${id} not found`);
    expect((await h.json('get_timeline')).some((t: { id: string }) => t.id === id)).toBe(false);
    expect(await h.error('delete_tweet', { tweet_id: id })).toBe(`Tweet ${id} not found.`);
    expect(await h.error('delete_tweet', { tweet_id: T(1) })).toMatch('only delete your own tweets');
  });

  it('likes and retweets change counts and can be undone once', async () => {
    await h.json('like_tweet', { tweet_id: T(2) });
    expect((await h.json('get_tweet', { tweet_id: T(2) })).likes).toBe(1);
    expect(await h.error('like_tweet', { tweet_id: T(2) })).toMatch('already liked');
    expect(
      (await h.json('get_favoriters', { tweet_id: T(2) })).users.map(
        (u: { screen_name: string }) => u.screen_name,
      ),
    ).toContain('portcullis_demo');
    await h.json('unfavorite_tweet', { tweet_id: T(2) });
    expect((await h.json('get_tweet', { tweet_id: T(2) })).likes).toBe(0);
    expect(await h.error('unfavorite_tweet', { tweet_id: T(2) })).toMatch('not liked');

    await h.json('retweet', { tweet_id: T(1) });
    expect((await h.json('get_retweeters', { tweet_id: T(1) })).count).toBe(1);
    await h.json('delete_retweet', { tweet_id: T(1) });
    expect((await h.json('get_retweeters', { tweet_id: T(1) })).count).toBe(0);
  });

  it('bookmarks', async () => {
    expect((await h.json('get_bookmarks')).tweets.map((t: { id: string }) => t.id)).toEqual([T(3)]);
    expect(await h.json('bookmark_tweet', { tweet_id: T(1), folder_id: 7 })).toEqual({
      tweet_id: T(1),
      status: 'bookmarked',
      folder_id: '7',
    });
    expect((await h.json('get_bookmarks')).tweets.map((t: { id: string }) => t.id)).toEqual([T(1), T(3)]);
    await h.json('delete_bookmark', { tweet_id: T(3) });
    expect(await h.error('delete_bookmark', { tweet_id: T(3) })).toBe(
      `Bookmark for tweet ${T(3)} not found.`,
    );
    expect((await h.json('get_bookmarks')).count).toBe(1);
  });

  it('search, articles and video', async () => {
    expect(
      (await h.json('search_tweets', { query: 'kingfisher' })).map((t: { author: string }) => t.author),
    ).toEqual(['bob']);
    expect((await h.json('search_tweets', { query: 'from:carol' })).length).toBe(2);
    expect((await h.json('get_article_preview', { tweet_id: T(6) })).rest_id).toBe(ARTICLE);
    expect(
      (await h.json('get_article', { article_id: `https://x.com/i/article/${ARTICLE}` })).plain_text,
    ).toMatch('policy gateway');
    expect(await h.error('get_tweet', { tweet_id: `https://x.com/i/article/${ARTICLE}` })).toMatch(
      'Use get_article instead',
    );
    expect(await h.json('download_tweet_video', { tweet_id: T(7), output_dir: '/tmp/videos' })).toMatchObject(
      { path: `/tmp/videos/${T(7)}.mp4`, duration_sec: 23 },
    );
    expect(h.account.downloads).toHaveLength(1);
    expect(await h.error('download_tweet_video', { tweet_id: T(1) })).toBe('Tweet has no video attachment');
  });
});

describe('users', () => {
  const following = async () =>
    (await h.json('get_user_following', { screen_name: 'portcullis_demo' })).users.map(
      (u: { screen_name: string }) => u.screen_name,
    );

  it('follow_user / unfollow_user change get_user_following', async () => {
    expect((await following()).sort()).toEqual(['alice', 'bob']);
    expect(await h.json('follow_user', { screen_name: 'carol' })).toEqual({
      user_id: '1003',
      screen_name: 'carol',
      status: 'followed',
    });
    expect(await following()).toEqual(['carol', 'bob', 'alice']);
    expect(
      (await h.json('get_user_followers', { screen_name: 'carol' })).users.map(
        (u: { screen_name: string }) => u.screen_name,
      ),
    ).toContain('portcullis_demo');
    await h.json('unfollow_user', { screen_name: 'alice' });
    expect(await following()).toEqual(['carol', 'bob']);
    expect(await h.error('follow_user', { screen_name: 'nobody' })).toBe('User not found: nobody.');
  });

  it('user lookups require exactly one of screen_name / user_id', async () => {
    expect(await h.json('get_user_info', { user_id: 1001 })).toMatchObject({
      screen_name: 'alice',
      following: true,
      followed_by: true,
    });
    expect(await h.error('get_user_info')).toMatch('requires either `screen_name` or `user_id`');
    expect(await h.error('get_user_info', { screen_name: 'alice', user_id: '1001' })).toMatch('not both');
  });

  it('block removes follows and hides tweets; mute hides from timeline', async () => {
    await h.json('block_user', { screen_name: 'alice' });
    expect(await following()).toEqual(['bob']);
    expect((await h.json('get_timeline')).some((t: { author: string }) => t.author === 'alice')).toBe(false);
    expect(await h.error('follow_user', { screen_name: 'alice' })).toMatch('unblock them first');
    await h.json('unblock_user', { screen_name: 'alice' });
    await h.json('mute_user', { screen_name: 'bob' });
    expect((await h.json('get_timeline')).some((t: { author: string }) => t.author === 'bob')).toBe(false);
    await h.json('unmute_user', { screen_name: 'bob' });
    expect((await h.json('get_timeline')).some((t: { author: string }) => t.author === 'bob')).toBe(true);
  });
});

describe('communities', () => {
  const members = async (id: string) =>
    (await h.json('get_community_members', { community_id: id })).members.map(
      (m: { screen_name: string }) => m.screen_name,
    );

  it('join_community / leave_community change membership', async () => {
    expect(await members(COMMUNITY(2))).not.toContain('portcullis_demo');
    expect(await h.json('join_community', { community_id: COMMUNITY(2) })).toMatchObject({
      id: COMMUNITY(2),
      is_member: true,
      member_count: 3,
      status: 'joined',
    });
    expect(await members(COMMUNITY(2))).toContain('portcullis_demo');
    expect((await h.json('get_community', { community_id: COMMUNITY(2) })).is_member).toBe(true);
    expect(
      (await h.json('get_communities_timeline')).tweets.map((t: { author: string }) => t.author),
    ).toContain('bob');
    expect(await h.error('join_community', { community_id: COMMUNITY(2) })).toMatch('already a member');

    expect(await h.json('leave_community', { community_id: COMMUNITY(2) })).toMatchObject({
      is_member: false,
      status: 'left',
    });
    expect(await members(COMMUNITY(2))).not.toContain('portcullis_demo');
  });

  it('leaving a community you are not in is an error', async () => {
    const result = await h.call('leave_community', { community_id: COMMUNITY(3) });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`You are not a member of community ${COMMUNITY(3)}.`);
    expect(await h.error('leave_community', { community_id: '999' })).toBe('Community 999 not found.');
  });

  it('restricted communities need a join request with an answer', async () => {
    expect(await h.error('join_community', { community_id: COMMUNITY(3) })).toMatch(
      'request_to_join_community',
    );
    expect(await h.error('request_to_join_community', { community_id: COMMUNITY(3) })).toMatch(
      'pass your reply as `answer`',
    );
    expect(
      await h.json('request_to_join_community', { community_id: COMMUNITY(3), answer: 'AppSec' }),
    ).toEqual({ community_id: COMMUNITY(3), status: 'request_sent' });
    expect(await h.json('get_community', { community_id: COMMUNITY(3) })).toMatchObject({
      is_member: false,
      join_request_pending: true,
    });
  });
});

describe('lists, DMs, polls, scheduled tweets', () => {
  it('lists', async () => {
    const created = await h.json('create_list', { name: 'Birders', is_private: true });
    expect(created).toMatchObject({ id: LIST(3), name: 'Birders', is_private: true, member_count: 0 });
    await h.json('add_list_member', { list_id: created.id, screen_name: 'dave' });
    expect(
      (await h.json('get_list_members', { list_id: created.id })).users.map(
        (u: { screen_name: string }) => u.screen_name,
      ),
    ).toEqual(['dave']);
    expect((await h.json('get_list_tweets', { list_id: created.id })).tweets[0].author).toBe('dave');
    expect((await h.json('edit_list', { list_id: created.id, name: 'Bird people' })).name).toBe(
      'Bird people',
    );
    await h.json('remove_list_member', { list_id: created.id, user_id: '1004' });
    expect((await h.json('get_list', { list_id: created.id })).member_count).toBe(0);
    expect((await h.json('get_lists')).lists.map((l: { id: string }) => l.id)).toEqual([
      LIST(1),
      LIST(2),
      LIST(3),
    ]);
    expect(await h.error('add_list_member', { list_id: LIST(2), screen_name: 'dave' })).toMatch(
      'only change lists you own',
    );
  });

  it('DMs', async () => {
    const { message_id } = await h.json('send_dm', { screen_name: 'bob', text: 'Reviewed, LGTM' });
    const history = await h.json('get_dm_history', { screen_name: 'bob' });
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual([
      'Reviewed, LGTM',
      'Could you review my PR when you have a minute?',
    ]);
    await h.json('delete_dm', { message_id });
    expect((await h.json('get_dm_history', { screen_name: 'bob' })).messages).toHaveLength(1);
    await h.json('send_dm_to_group', { group_id: GROUP, text: 'on my way' });
    const convo = await h.json('xchat_get_history', { conversation_id: GROUP });
    expect(convo.messages[0]).toMatchObject({ sender: 'portcullis_demo', text: 'on my way' });
    expect(
      (await h.json('xchat_list_conversations', { unread_only: true })).conversations.map(
        (c: { conversation_id: string }) => c.conversation_id,
      ),
    ).toEqual([GROUP, '1000-1002']);
  });

  it('polls and scheduled tweets', async () => {
    const poll = (await h.json('get_tweet', { tweet_id: T(2) })).poll;
    await h.json('vote', {
      tweet_id: T(2),
      card_uri: poll.card_uri,
      card_name: poll.card_name,
      selected_choice: 'Spaces',
    });
    expect((await h.json('get_tweet', { tweet_id: T(2) })).poll.choices).toEqual([
      { label: 'Tabs', count: 3 },
      { label: 'Spaces', count: 6 },
    ]);
    expect(
      await h.error('vote', {
        tweet_id: T(2),
        card_uri: poll.card_uri,
        card_name: poll.card_name,
        selected_choice: 'Tabs',
      }),
    ).toMatch('already voted');
    expect(await h.json('create_poll', { choices: ['Yes', 'No', 'Maybe'], duration_minutes: 60 })).toEqual({
      card_uri: 'card://1900000000000002',
      status: 'created',
    });

    const at = Date.UTC(2031, 0, 1) / 1000;
    const { scheduled_tweet_id } = await h.json('create_scheduled_tweet', {
      scheduled_at: at,
      text: 'later',
    });
    expect((await h.json('get_scheduled_tweets')).count).toBe(2);
    await h.json('delete_scheduled_tweet', { scheduled_tweet_id });
    expect(
      (await h.json('get_scheduled_tweets')).scheduled_tweets.map((s: { text: string }) => s.text),
    ).not.toContain('later');
    expect(await h.error('create_scheduled_tweet', { scheduled_at: 1, text: 'past' })).toMatch('future');
  });
});

describe('errors', () => {
  it('bad arguments return isError naming the argument and never reach the account', async () => {
    expect(await h.error('send_tweet', {})).toBe('Invalid arguments for send_tweet: "text" is required');
    expect(await h.error('send_tweet', { text: 5 })).toBe(
      'Invalid arguments for send_tweet: "text" must be string, got integer',
    );
    expect(await h.error('get_timeline', { count: 5, verbose: true })).toMatch(
      '"verbose" is not an accepted argument',
    );
    expect(h.account.tweets.size).toBe(10);
    expect(h.log.entries().map((e) => e.ok)).toEqual([false, false, false]);
  });

  it('unknown tools return isError', async () => {
    expect(await h.error('post_to_mastodon', { text: 'x' })).toBe('Unknown tool: post_to_mastodon');
  });
});

// Minimal arguments that succeed on a fresh seeded account, for every tool.
const SAMPLE_ARGS: Record<string, Record<string, unknown>> = {
  send_tweet: { text: 'x' },
  get_tweet: { tweet_id: T(1) },
  get_tweet_replies: { tweet_id: T(4) },
  download_tweet_video: { tweet_id: T(7) },
  get_timeline: {},
  search_tweets: { query: 'typescript' },
  like_tweet: { tweet_id: T(1) },
  retweet: { tweet_id: T(1) },
  get_user_tweets: { screen_name: 'alice' },
  get_user_info: { screen_name: 'alice' },
  get_user_followers: { screen_name: 'alice' },
  get_user_following: { user_id: 1000 },
  follow_user: { screen_name: 'dave' },
  unfollow_user: { screen_name: 'bob' },
  delete_tweet: { tweet_id: T(4) },
  unfavorite_tweet: { tweet_id: T(3) },
  delete_retweet: { tweet_id: T(3) },
  bookmark_tweet: { tweet_id: T(1) },
  delete_bookmark: { tweet_id: T(3) },
  get_bookmarks: {},
  get_favoriters: { tweet_id: T(1) },
  get_retweeters: { tweet_id: T(3) },
  search_user: { query: 'ali' },
  get_trends: {},
  get_article_preview: { tweet_id: T(6) },
  get_article: { article_id: ARTICLE },
  block_user: { screen_name: 'dave' },
  unblock_user: { screen_name: 'dave' },
  mute_user: { screen_name: 'dave' },
  unmute_user: { screen_name: 'dave' },
  get_notifications: {},
  send_dm: { screen_name: 'alice', text: 'hi' },
  send_dm_to_group: { group_id: GROUP, text: 'hi' },
  get_dm_history: { screen_name: 'alice' },
  delete_dm: { message_id: '1860000000000001' },
  get_list: { list_id: LIST(1) },
  get_lists: {},
  get_list_tweets: { list_id: LIST(1) },
  get_list_members: { list_id: LIST(1) },
  get_list_subscribers: { list_id: LIST(1) },
  create_list: { name: 'new' },
  edit_list: { list_id: LIST(1), description: '' },
  add_list_member: { list_id: LIST(1), screen_name: 'dave' },
  remove_list_member: { list_id: LIST(1), screen_name: 'carol' },
  create_scheduled_tweet: { scheduled_at: 4_102_444_800, text: 'x' },
  get_scheduled_tweets: {},
  delete_scheduled_tweet: { scheduled_tweet_id: '1880000000000001' },
  create_poll: { choices: ['a', 'b'], duration_minutes: 5 },
  vote: {
    selected_choice: 'Tabs',
    card_uri: 'card://1900000000000001',
    tweet_id: T(2),
    card_name: 'poll2choice_text_only',
  },
  get_community: { community_id: COMMUNITY(1) },
  search_community: { query: 'bird' },
  get_community_tweets: { community_id: COMMUNITY(1), tweet_type: 'Latest' },
  get_communities_timeline: {},
  get_community_members: { community_id: COMMUNITY(1) },
  get_community_moderators: { community_id: COMMUNITY(1) },
  search_community_tweet: { community_id: COMMUNITY(1), query: 'tsconfig' },
  join_community: { community_id: COMMUNITY(2) },
  leave_community: { community_id: COMMUNITY(1) },
  request_to_join_community: { community_id: COMMUNITY(3), answer: 'AppSec' },
  xchat_status: {},
  xchat_list_conversations: {},
  xchat_get_history: { conversation_id: '1000-1001' },
};

describe('every tool', () => {
  it('has sample arguments for all 62 tools', () => {
    expect(Object.keys(SAMPLE_ARGS).sort()).toEqual(CATALOG_TOOLS.map((t) => t.name).sort());
  });

  it.each(CATALOG_TOOLS.map((t) => t.name))('%s succeeds against the seeded account', async (name) => {
    const result = await h.call(name, SAMPLE_ARGS[name]);
    expect(result.isError, textOf(result)).not.toBe(true);
    expect(() => JSON.parse(textOf(result))).not.toThrow();
  });
});
