// The in-memory Twitter account behind every tool. One Account per process (shared by all
// HTTP sessions). Ids come from counters, never from randomness or the clock.
import { ToolError } from './tool-error.ts';

export interface User {
  id: string;
  screen_name: string;
  name: string;
  description: string;
  created_at: Date;
  verified: boolean;
  is_blue_verified: boolean;
  protected: boolean;
  location: string;
  url: string | null;
}

export interface Video {
  duration_sec: number;
  width: number;
  height: number;
  size_bytes: number;
}

export interface Tweet {
  id: string;
  authorId: string;
  text: string;
  createdAt: Date;
  inReplyTo: string | null;
  conversationId: string;
  quotedId: string | null;
  likedBy: Set<string>;
  retweetedBy: Set<string>;
  communityId: string | null;
  pollCardUri: string | null;
  articleId: string | null;
  video: Video | null;
}

export interface Article {
  restId: string;
  tweetId: string;
  title: string;
  previewText: string;
  plainText: string;
  coverImage: string | null;
  media: string[];
  lifecycleState: string;
}

export interface DirectMessage {
  id: string;
  conversationId: string;
  senderId: string;
  recipientId: string | null;
  groupId: string | null;
  text: string;
  time: Date;
  mediaId: string | null;
  read: boolean;
}

export interface DmGroup {
  id: string;
  name: string;
  participantIds: string[];
}

export interface TwitterList {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  isPrivate: boolean;
  memberIds: Set<string>;
  subscriberIds: Set<string>;
  createdAt: Date;
}

export interface ScheduledTweet {
  id: string;
  text: string;
  executeAt: number;
  state: string;
  mediaIds: string[];
}

export interface Poll {
  cardUri: string;
  cardName: string;
  choices: string[];
  counts: number[];
  durationMinutes: number;
  votedChoice: string | null;
}

export type JoinPolicy = 'Open' | 'RestrictedJoinRequestsRequireModeratorApproval';

export interface Community {
  id: string;
  name: string;
  description: string;
  joinPolicy: JoinPolicy;
  question: string | null;
  createdAt: Date;
  adminId: string;
  moderatorIds: Set<string>;
  memberIds: Set<string>;
  joinRequests: Map<string, string | null>;
}

export interface Notification {
  id: string;
  type: 'Mentions' | 'Verified' | 'Other';
  timestampMs: number;
  icon: string;
  message: string;
  tweetId: string | null;
}

export interface Trend {
  category: string;
  name: string;
  tweetsCount: number | null;
  domainContext: string;
}

export interface Download {
  tweetId: string;
  path: string;
  format: string;
}

/** Monotonic id counter; values stay below 2^53 so integer ids survive JSON round trips. */
export class Sequence {
  private value: number;
  constructor(start: number) {
    this.value = start;
  }
  next(): string {
    this.value += 1;
    return String(this.value);
  }
}

export interface Account {
  meId: string;
  users: Map<string, User>;
  /** user id → ids of the users they follow */
  following: Map<string, Set<string>>;
  tweets: Map<string, Tweet>;
  /** tweet id → bookmark folder id (null = default folder), in insertion order */
  bookmarks: Map<string, string | null>;
  blocked: Set<string>;
  muted: Set<string>;
  messages: Map<string, DirectMessage>;
  groups: Map<string, DmGroup>;
  lists: Map<string, TwitterList>;
  scheduled: Map<string, ScheduledTweet>;
  polls: Map<string, Poll>;
  communities: Map<string, Community>;
  articles: Map<string, Article>;
  notifications: Notification[];
  trends: Trend[];
  downloads: Download[];
  ids: {
    user: Sequence;
    tweet: Sequence;
    message: Sequence;
    group: Sequence;
    list: Sequence;
    scheduled: Sequence;
    poll: Sequence;
    community: Sequence;
    article: Sequence;
    notification: Sequence;
  };
  now: () => Date;
}

// ── lookups ─────────────────────────────────────────────

export function me(account: Account): User {
  return account.users.get(account.meId) as User;
}

export function followingOf(account: Account, userId: string): Set<string> {
  let set = account.following.get(userId);
  if (!set) {
    set = new Set();
    account.following.set(userId, set);
  }
  return set;
}

export function followersOf(account: Account, userId: string): string[] {
  return [...account.following.entries()].filter(([, set]) => set.has(userId)).map(([id]) => id);
}

export function findUserByScreenName(account: Account, screenName: string): User | undefined {
  const wanted = screenName.replace(/^@/, '').toLowerCase();
  for (const user of account.users.values()) {
    if (user.screen_name.toLowerCase() === wanted) return user;
  }
  return undefined;
}

export function requireUserByScreenName(account: Account, screenName: string): User {
  const user = findUserByScreenName(account, screenName);
  if (!user) throw new ToolError(`User not found: ${screenName}.`);
  return user;
}

export function requireUserById(account: Account, userId: string): User {
  const user = account.users.get(userId);
  if (!user) throw new ToolError(`User not found: ${userId}.`);
  return user;
}

/** Resolves exactly one of screen_name / user_id, like the real server's `_require_exactly_one`. */
export function resolveUser(
  account: Account,
  op: string,
  screenName: string | null | undefined,
  userId: string | number | null | undefined,
): User {
  const hasName = screenName !== null && screenName !== undefined && screenName !== '';
  const hasId = userId !== null && userId !== undefined && userId !== '';
  if (!hasName && !hasId) throw new ToolError(`${op} requires either \`screen_name\` or \`user_id\`.`);
  if (hasName && hasId)
    throw new ToolError(`${op} accepts \`screen_name\` OR \`user_id\`, not both — got both.`);
  return hasId
    ? requireUserById(account, String(userId))
    : requireUserByScreenName(account, String(screenName));
}

/** Tweet ids may arrive as integers, numeric strings or full status URLs. */
export function extractTweetId(value: string | number): string {
  const text = String(value).trim();
  return text.includes('/') ? (text.replace(/\/+$/, '').split('/').pop() ?? text) : text;
}

export function requireTweet(account: Account, id: string | number): Tweet {
  const tweetId = extractTweetId(id);
  const tweet = account.tweets.get(tweetId);
  if (!tweet) throw new ToolError(`Tweet ${tweetId} not found.`);
  return tweet;
}

export function requireList(account: Account, id: string | number): TwitterList {
  const list = account.lists.get(String(id));
  if (!list) throw new ToolError(`List ${String(id)} not found.`);
  if (list.isPrivate && list.ownerId !== account.meId) throw new ToolError(`List ${String(id)} not found.`);
  return list;
}

export function requireCommunity(account: Account, id: string | number): Community {
  const community = account.communities.get(String(id));
  if (!community) throw new ToolError(`Community ${String(id)} not found.`);
  return community;
}

/** Tweets visible to the logged-in user (authors they blocked are hidden). */
export function visibleTweets(account: Account): Tweet[] {
  return [...account.tweets.values()].filter((t) => !account.blocked.has(t.authorId));
}

export function newestFirst(tweets: Tweet[]): Tweet[] {
  return [...tweets].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || Number(b.id) - Number(a.id),
  );
}

export function addTweet(
  account: Account,
  fields: Pick<Tweet, 'authorId' | 'text'> & Partial<Omit<Tweet, 'id' | 'authorId' | 'text'>>,
): Tweet {
  const id = account.ids.tweet.next();
  const inReplyTo = fields.inReplyTo ?? null;
  const parent = inReplyTo ? account.tweets.get(inReplyTo) : undefined;
  const tweet: Tweet = {
    id,
    authorId: fields.authorId,
    text: fields.text,
    createdAt: fields.createdAt ?? account.now(),
    inReplyTo,
    conversationId: parent ? parent.conversationId : id,
    quotedId: fields.quotedId ?? null,
    likedBy: fields.likedBy ?? new Set(),
    retweetedBy: fields.retweetedBy ?? new Set(),
    communityId: fields.communityId ?? null,
    pollCardUri: fields.pollCardUri ?? null,
    articleId: fields.articleId ?? null,
    video: fields.video ?? null,
  };
  account.tweets.set(id, tweet);
  return tweet;
}

/** 1:1 conversation ids follow X's "<smaller id>-<larger id>" form. */
export function dmConversationId(a: string, b: string): string {
  return Number(a) <= Number(b) ? `${a}-${b}` : `${b}-${a}`;
}
