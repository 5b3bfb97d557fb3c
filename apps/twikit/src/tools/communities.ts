// Communities: browse, search, join, leave, request to join.
import {
  newestFirst,
  requireCommunity,
  visibleTweets,
  type Account,
  type Community,
  type Tweet,
} from '../account.ts';
import { checkCount, communityDict, communityMember, paginate, tweetSummary } from '../format.ts';
import { ToolError } from '../tool-error.ts';
import type { ToolHandlers } from './types.ts';

const TWEET_TYPES = ['Latest', 'Media', 'Top'];

function community(account: Account, id: string | number): Community {
  if (!String(id).trim()) throw new ToolError('community_id must be non-empty.');
  return requireCommunity(account, id);
}

function view(account: Account, c: Community) {
  return {
    ...communityDict(account, c),
    // Stand-in extra, present only while a join request is pending.
    ...(c.joinRequests.has(account.meId) ? { join_request_pending: true } : {}),
  };
}

function tweetPage(account: Account, tweets: Tweet[], count: number, cursor: string | null) {
  checkCount(count);
  const { page, next_cursor } = paginate(tweets, count, cursor);
  return { tweets: page.map((t) => tweetSummary(account, t)), next_cursor, count: page.length };
}

function membersPage(
  account: Account,
  c: Community,
  ids: string[],
  key: string,
  count: number,
  cursor: string | null,
) {
  checkCount(count);
  const members = ids.flatMap((id) => {
    const u = account.users.get(id);
    return u ? [communityMember(account, c, u)] : [];
  });
  const { page, next_cursor } = paginate(members, count, cursor);
  return { [key]: page, next_cursor, count: page.length };
}

const inCommunity = (account: Account, c: Community) =>
  visibleTweets(account).filter((t) => t.communityId === c.id);
const textMatches = (t: Tweet, query: string) => t.text.toLowerCase().includes(query.trim().toLowerCase());

export const communityTools: ToolHandlers = {
  get_community(account, { community_id }) {
    return view(account, community(account, community_id));
  },

  search_community(account, { query, cursor }) {
    if (!query.trim()) throw new ToolError('query must not be empty.');
    const q = query.trim().toLowerCase();
    const found = [...account.communities.values()]
      .filter((c) => c.name.toLowerCase().includes(q) || c.description.toLowerCase().includes(q))
      .map((c) => view(account, c));
    const { page, next_cursor } = paginate(found, 20, cursor);
    return { communities: page, next_cursor, count: page.length };
  },

  get_community_tweets(account, { community_id, tweet_type, count, cursor }) {
    const c = community(account, community_id);
    if (!TWEET_TYPES.includes(tweet_type)) {
      throw new ToolError(
        `tweet_type must be one of ${JSON.stringify(TWEET_TYPES)}, got: ${JSON.stringify(tweet_type)}`,
      );
    }
    let tweets = inCommunity(account, c);
    if (tweet_type === 'Media') tweets = tweets.filter((t) => t.video !== null);
    tweets =
      tweet_type === 'Top'
        ? [...tweets].sort(
            (a, b) => b.likedBy.size + b.retweetedBy.size - (a.likedBy.size + a.retweetedBy.size),
          )
        : newestFirst(tweets);
    return tweetPage(account, tweets, count, cursor);
  },

  get_communities_timeline(account, { count, cursor }) {
    const mine = new Set(
      [...account.communities.values()].filter((c) => c.memberIds.has(account.meId)).map((c) => c.id),
    );
    const tweets = newestFirst(
      visibleTweets(account).filter((t) => t.communityId !== null && mine.has(t.communityId)),
    );
    return tweetPage(account, tweets, count, cursor);
  },

  get_community_members(account, { community_id, count, cursor }) {
    const c = community(account, community_id);
    return membersPage(account, c, [...c.memberIds], 'members', count, cursor);
  },

  get_community_moderators(account, { community_id, count, cursor }) {
    const c = community(account, community_id);
    const ids = [...new Set([c.adminId, ...c.moderatorIds])];
    return membersPage(account, c, ids, 'moderators', count, cursor);
  },

  search_community_tweet(account, { community_id, query, count, cursor }) {
    const c = community(account, community_id);
    if (!query.trim()) throw new ToolError('query must not be empty.');
    const tweets = newestFirst(inCommunity(account, c).filter((t) => textMatches(t, query)));
    return tweetPage(account, tweets, count, cursor);
  },

  join_community(account, { community_id }) {
    const c = community(account, community_id);
    if (c.memberIds.has(account.meId)) throw new ToolError(`You are already a member of community ${c.id}.`);
    if (c.joinPolicy !== 'Open') {
      throw new ToolError(
        `Community ${c.id} requires moderator approval to join; use request_to_join_community.`,
      );
    }
    c.memberIds.add(account.meId);
    c.joinRequests.delete(account.meId);
    return { ...view(account, c), status: 'joined' };
  },

  leave_community(account, { community_id }) {
    const c = community(account, community_id);
    if (!c.memberIds.has(account.meId)) throw new ToolError(`You are not a member of community ${c.id}.`);
    c.memberIds.delete(account.meId);
    c.moderatorIds.delete(account.meId);
    return { ...view(account, c), status: 'left' };
  },

  request_to_join_community(account, { community_id, answer }) {
    const c = community(account, community_id);
    if (c.memberIds.has(account.meId)) throw new ToolError(`You are already a member of community ${c.id}.`);
    if (c.joinRequests.has(account.meId))
      throw new ToolError(`A join request for community ${c.id} is already pending.`);
    if (c.question !== null && (answer === null || !answer.trim())) {
      throw new ToolError(
        `Community ${c.id} asks: ${JSON.stringify(c.question)} — pass your reply as \`answer\`.`,
      );
    }
    c.joinRequests.set(account.meId, answer);
    return { community_id: c.id, status: 'request_sent' };
  },
};
