// Output shapes, mirroring what the real server's tools JSON-encode.
import {
  followingOf,
  type Account,
  type Community,
  type Tweet,
  type TwitterList,
  type User,
} from './account.ts';
import { ToolError } from './tool-error.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Twitter's legacy created_at format, e.g. "Sun Jun 01 09:00:00 +0000 2025" (what twikit returns). */
export function twitterDate(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`
  );
}

function screenName(account: Account, userId: string): string {
  return account.users.get(userId)?.screen_name ?? 'unknown';
}

export function tweetSummary(account: Account, t: Tweet) {
  return {
    id: t.id,
    author: screenName(account, t.authorId),
    text: t.text.slice(0, 200),
    likes: t.likedBy.size,
    retweets: t.retweetedBy.size,
  };
}

export function tweetDetail(account: Account, t: Tweet) {
  const author = account.users.get(t.authorId);
  const quoted = t.quotedId ? account.tweets.get(t.quotedId) : undefined;
  const poll = t.pollCardUri ? account.polls.get(t.pollCardUri) : undefined;
  return {
    id: t.id,
    author: author?.screen_name ?? 'unknown',
    author_name: author?.name ?? '',
    text: t.text,
    created_at: twitterDate(t.createdAt),
    likes: t.likedBy.size,
    retweets: t.retweetedBy.size,
    in_reply_to: t.inReplyTo,
    conversation_id: t.conversationId,
    is_quote_status: t.quotedId !== null,
    quoted_id: quoted ? quoted.id : null,
    quoted_author: quoted ? screenName(account, quoted.authorId) : null,
    quoted_text: quoted ? quoted.text : null,
    // Stand-in extra: the poll card metadata `vote` needs (the real tweet object carries it too).
    ...(poll
      ? {
          poll: {
            card_uri: poll.cardUri,
            card_name: poll.cardName,
            choices: poll.choices.map((label, i) => ({ label, count: poll.counts[i] ?? 0 })),
            voted_choice: poll.votedChoice,
          },
        }
      : {}),
  };
}

export function userCompact(account: Account, u: User) {
  return {
    id: u.id,
    screen_name: u.screen_name,
    name: u.name,
    description: u.description.slice(0, 200),
    followers_count: followersCount(account, u.id),
    verified: u.verified,
    is_blue_verified: u.is_blue_verified,
  };
}

function followersCount(account: Account, userId: string): number {
  let n = 0;
  for (const set of account.following.values()) if (set.has(userId)) n += 1;
  return n;
}

export function userInfo(account: Account, u: User) {
  return {
    id: u.id,
    screen_name: u.screen_name,
    name: u.name,
    description: u.description,
    created_at: twitterDate(u.created_at),
    followers_count: followersCount(account, u.id),
    following_count: followingOf(account, u.id).size,
    tweets_count: [...account.tweets.values()].filter((t) => t.authorId === u.id).length,
    verified: u.verified,
    is_blue_verified: u.is_blue_verified,
    profile_image_url: `https://pbs.twimg.example/profile_images/${u.id}/avatar_normal.jpg`,
    protected: u.protected,
    location: u.location,
    url: u.url,
    // Stand-in extra: relationship flags from the logged-in user's point of view.
    following: followingOf(account, account.meId).has(u.id),
    followed_by: followingOf(account, u.id).has(account.meId),
    blocking: account.blocked.has(u.id),
    muting: account.muted.has(u.id),
  };
}

export function listDict(l: TwitterList) {
  return {
    id: l.id,
    name: l.name,
    description: l.description.slice(0, 200),
    member_count: l.memberIds.size,
    subscriber_count: l.subscriberIds.size,
    is_private: l.isPrivate,
    created_at: twitterDate(l.createdAt),
  };
}

export function communityDict(account: Account, c: Community) {
  return {
    id: c.id,
    name: c.name,
    description: c.description.slice(0, 200),
    member_count: c.memberIds.size,
    is_member: c.memberIds.has(account.meId),
    join_policy: c.joinPolicy,
    created_at: twitterDate(c.createdAt),
  };
}

export function communityMember(account: Account, c: Community, u: User) {
  const role = c.adminId === u.id ? 'Admin' : c.moderatorIds.has(u.id) ? 'Moderator' : 'Member';
  return {
    id: u.id,
    screen_name: u.screen_name,
    name: u.name,
    community_role: role,
    verified: u.verified,
    is_blue_verified: u.is_blue_verified,
    protected: u.protected,
    following: followingOf(account, account.meId).has(u.id),
    followed_by: followingOf(account, u.id).has(account.meId),
  };
}

// ── pagination ─────────────────────────────────────────

export const PAGINATED_MAX_COUNT = 100;

export function checkCount(count: number, max: number | null = PAGINATED_MAX_COUNT): void {
  if (count < 1) throw new ToolError('count must be >= 1.');
  if (max !== null && count > max) {
    throw new ToolError(`count exceeds the ${max} cap; paginate via \`cursor\` instead.`);
  }
}

/** Offset cursors ("cursor:<offset>"); next_cursor is null on the last page. */
export function paginate<T>(items: T[], count: number, cursor: string | null | undefined) {
  let offset = 0;
  if (cursor !== null && cursor !== undefined) {
    const m = /^cursor:(\d+)$/.exec(cursor);
    if (!m) throw new ToolError(`Invalid cursor: ${JSON.stringify(cursor)}.`);
    offset = Number(m[1]);
  }
  const page = items.slice(offset, offset + count);
  const end = offset + page.length;
  return { page, next_cursor: end < items.length ? `cursor:${end}` : null };
}
