// Demo data: a handful of users, tweets, lists, communities and DMs. Fixed timestamps, ids
// from the account's counters, so every fresh account looks exactly the same.
import {
  addTweet,
  dmConversationId,
  followingOf,
  type Account,
  type Community,
  type DirectMessage,
  type User,
} from './account.ts';

const at = (iso: string): Date => new Date(iso);

function addUser(account: Account, fields: Omit<User, 'id'>): User {
  const user: User = { id: account.ids.user.next(), ...fields };
  account.users.set(user.id, user);
  return user;
}

function baseUser(screen_name: string, name: string, description: string, created: string): Omit<User, 'id'> {
  return {
    screen_name,
    name,
    description,
    created_at: at(created),
    verified: false,
    is_blue_verified: false,
    protected: false,
    location: '',
    url: null,
  };
}

export function seedAccount(account: Account, { empty }: { empty: boolean }): void {
  // The logged-in demo user always exists (id 1000 is reserved by the counter's start).
  account.users.set(account.meId, {
    id: account.meId,
    ...baseUser(
      'portcullis_demo',
      'Portcullis Demo',
      'Demo account of the Twikit stand-in.',
      '2024-01-15T09:00:00Z',
    ),
    location: 'localhost',
  });
  if (empty) return;

  const alice = addUser(account, {
    ...baseUser('alice', 'Alice Liddell', 'TypeScript, compilers and tea.', '2019-03-02T10:00:00Z'),
    is_blue_verified: true,
    location: 'Oxford',
    url: 'https://alice.example',
  });
  const bob = addUser(
    account,
    baseUser('bob', 'Bob Builder', 'Can we fix it? Yes we can.', '2020-07-21T08:30:00Z'),
  );
  const carol = addUser(account, {
    ...baseUser(
      'carol',
      'Carol Danvers',
      'Security research. Prompt injection hunter.',
      '2018-11-11T11:11:00Z',
    ),
    location: 'Remote',
  });
  const dave = addUser(
    account,
    baseUser('dave', 'Dave Lister', 'Birds, curry and lo-fi.', '2021-05-05T05:05:00Z'),
  );
  const news = addUser(account, {
    ...baseUser('xnews', 'X News Daily', 'Headlines, every day.', '2012-01-01T00:00:00Z'),
    verified: true,
    is_blue_verified: true,
  });
  const meId = account.meId;

  for (const [who, whom] of [
    [meId, alice.id],
    [meId, bob.id],
    [alice.id, meId],
    [alice.id, carol.id],
    [bob.id, meId],
    [carol.id, alice.id],
    [dave.id, meId],
    [dave.id, alice.id],
    [news.id, carol.id],
  ] as const) {
    followingOf(account, who).add(whom);
  }

  // Communities first so tweets can point at them.
  const community = (fields: Omit<Community, 'id' | 'joinRequests'>): Community => {
    const c: Community = { id: account.ids.community.next(), joinRequests: new Map(), ...fields };
    account.communities.set(c.id, c);
    return c;
  };
  const tsDevs = community({
    name: 'TypeScript Devs',
    description: 'Types, tooling and tsconfig flags.',
    joinPolicy: 'Open',
    question: null,
    createdAt: at('2023-02-01T12:00:00Z'),
    adminId: alice.id,
    moderatorIds: new Set([alice.id]),
    memberIds: new Set([alice.id, bob.id, meId]),
  });
  const birders = community({
    name: 'Birdwatchers',
    description: 'Share your sightings.',
    joinPolicy: 'Open',
    question: null,
    createdAt: at('2023-04-10T07:00:00Z'),
    adminId: dave.id,
    moderatorIds: new Set([dave.id]),
    memberIds: new Set([dave.id, bob.id]),
  });
  const secResearch = community({
    name: 'Security Research',
    description: 'Responsible disclosure, writeups and CTFs.',
    joinPolicy: 'RestrictedJoinRequestsRequireModeratorApproval',
    question: 'What area of security do you work in?',
    createdAt: at('2022-09-09T09:00:00Z'),
    adminId: carol.id,
    moderatorIds: new Set([carol.id]),
    memberIds: new Set([carol.id]),
  });

  // Poll card used by one of bob's tweets.
  const pollUri = `card://${account.ids.poll.next()}`;
  account.polls.set(pollUri, {
    cardUri: pollUri,
    cardName: 'poll2choice_text_only',
    choices: ['Tabs', 'Spaces'],
    counts: [3, 5],
    durationMinutes: 1440,
    votedChoice: null,
  });

  const t1 = addTweet(account, {
    authorId: alice.id,
    text: 'Shipping a new TypeScript release today #typescript',
    createdAt: at('2025-06-01T09:00:00Z'),
    likedBy: new Set([bob.id, carol.id]),
  });
  addTweet(account, {
    authorId: bob.id,
    text: 'Poll: tabs or spaces?',
    createdAt: at('2025-06-01T09:30:00Z'),
    pollCardUri: pollUri,
  });
  const t3 = addTweet(account, {
    authorId: carol.id,
    text: "Prompt injection is the new SQL injection. Gate your agents' tool calls. #infosec",
    createdAt: at('2025-06-01T10:00:00Z'),
    likedBy: new Set([alice.id, meId]),
    retweetedBy: new Set([alice.id, dave.id, meId]),
  });
  const t4 = addTweet(account, {
    authorId: meId,
    text: 'Hello from the Portcullis demo account!',
    createdAt: at('2025-06-01T10:30:00Z'),
    likedBy: new Set([alice.id]),
  });
  const t5 = addTweet(account, {
    authorId: alice.id,
    text: 'Welcome aboard @portcullis_demo',
    createdAt: at('2025-06-01T10:45:00Z'),
    inReplyTo: t4.id,
  });
  const articleTweet = addTweet(account, {
    authorId: news.id,
    text: 'Long read: how MCP gateways keep AI agents in check',
    createdAt: at('2025-06-01T11:00:00Z'),
    quotedId: t3.id,
  });
  const articleId = account.ids.article.next();
  articleTweet.articleId = articleId;
  account.articles.set(articleId, {
    restId: articleId,
    tweetId: articleTweet.id,
    title: 'How MCP gateways keep AI agents in check',
    previewText: 'Every tool call an agent makes is a chance to leak data or post something it should not.',
    plainText:
      'Every tool call an agent makes is a chance to leak data or post something it should not. ' +
      'A policy gateway sits between the agent and its MCP servers, classifies each call by risk, ' +
      'and lets reads through while holding writes and deletes for review.',
    coverImage: 'https://pbs.twimg.example/media/mcp-gateways.jpg',
    media: ['https://pbs.twimg.example/media/mcp-diagram.png'],
    lifecycleState: 'Published',
  });
  addTweet(account, {
    authorId: dave.id,
    text: 'Watch: blue tits at the feeder this morning',
    createdAt: at('2025-06-01T11:30:00Z'),
    video: { duration_sec: 23, width: 1280, height: 720, size_bytes: 5_242_880 },
  });
  addTweet(account, {
    authorId: alice.id,
    text: "What's your favourite tsconfig flag? Mine is noUncheckedIndexedAccess.",
    createdAt: at('2025-06-01T12:00:00Z'),
    communityId: tsDevs.id,
  });
  addTweet(account, {
    authorId: carol.id,
    text: 'Writeup: tool-call smuggling through markdown links',
    createdAt: at('2025-06-01T12:30:00Z'),
    communityId: secResearch.id,
    likedBy: new Set([alice.id]),
  });
  addTweet(account, {
    authorId: bob.id,
    text: 'Spotted a kingfisher by the canal today',
    createdAt: at('2025-06-01T13:00:00Z'),
    communityId: birders.id,
  });

  account.bookmarks.set(t3.id, null);

  const list = (
    ownerId: string,
    name: string,
    description: string,
    isPrivate: boolean,
    members: string[],
    subs: string[],
    created: string,
  ) => {
    const id = account.ids.list.next();
    account.lists.set(id, {
      id,
      ownerId,
      name,
      description,
      isPrivate,
      memberIds: new Set(members),
      subscriberIds: new Set(subs),
      createdAt: at(created),
    });
  };
  list(
    meId,
    'Security folks',
    'People who break things for a living.',
    false,
    [carol.id, alice.id],
    [bob.id],
    '2025-01-10T10:00:00Z',
  );
  list(
    alice.id,
    'TS people',
    'TypeScript community.',
    false,
    [alice.id, bob.id],
    [meId],
    '2024-08-08T08:00:00Z',
  );

  const dm = (fields: Omit<DirectMessage, 'id'>) => {
    const m: DirectMessage = { id: account.ids.message.next(), ...fields };
    account.messages.set(m.id, m);
  };
  const withAlice = dmConversationId(meId, alice.id);
  const withBob = dmConversationId(meId, bob.id);
  const direct = { groupId: null, mediaId: null };
  dm({
    ...direct,
    conversationId: withAlice,
    senderId: alice.id,
    recipientId: meId,
    text: 'Are you coming to the meetup on Thursday?',
    time: at('2025-06-01T14:00:00Z'),
    read: true,
  });
  dm({
    ...direct,
    conversationId: withAlice,
    senderId: meId,
    recipientId: alice.id,
    text: 'Yes! See you there.',
    time: at('2025-06-01T14:05:00Z'),
    read: true,
  });
  dm({
    ...direct,
    conversationId: withBob,
    senderId: bob.id,
    recipientId: meId,
    text: 'Could you review my PR when you have a minute?',
    time: at('2025-06-01T15:00:00Z'),
    read: false,
  });

  const groupId = account.ids.group.next();
  account.groups.set(groupId, {
    id: groupId,
    name: 'Portcullis core',
    participantIds: [meId, alice.id, carol.id],
  });
  dm({
    conversationId: groupId,
    groupId,
    senderId: carol.id,
    recipientId: null,
    mediaId: null,
    text: 'Standup in 5 minutes',
    time: at('2025-06-01T15:30:00Z'),
    read: false,
  });

  const note = (
    type: 'Mentions' | 'Verified' | 'Other',
    iso: string,
    icon: string,
    message: string,
    tweetId: string | null,
  ) =>
    account.notifications.push({
      id: account.ids.notification.next(),
      type,
      timestampMs: at(iso).getTime(),
      icon,
      message,
      tweetId,
    });
  note('Other', '2025-06-01T10:40:00Z', 'heart_icon', 'Alice Liddell liked your post', t4.id);
  note('Mentions', '2025-06-01T10:45:00Z', 'reply_icon', 'Alice Liddell replied to your post', t5.id);
  note('Other', '2025-06-01T11:10:00Z', 'person_icon', 'Dave Lister followed you', null);
  note(
    'Verified',
    '2025-06-01T11:15:00Z',
    'bird_icon',
    'X News Daily posted: Long read on MCP gateways',
    articleTweet.id,
  );
  note('Other', '2025-06-01T09:05:00Z', 'bird_icon', 'New post from Alice Liddell', t1.id);

  const trend = (category: string, name: string, tweetsCount: number | null, domainContext: string) =>
    account.trends.push({ category, name, tweetsCount, domainContext });
  trend('trending', '#typescript', 12_400, 'Technology · Trending');
  trend('trending', 'MCP', 8_100, 'Technology · Trending');
  trend('trending', '#infosec', 5_300, 'Trending in Security');
  trend('trending', 'Kingfisher', 1_200, 'Trending in United Kingdom');
  trend('for-you', 'Prompt injection', 3_300, 'Technology · Trending');
  trend('for-you', 'tsconfig', null, 'Programming · Trending');
  trend('news', 'AI agents regulation', 22_000, 'News · Politics');
  trend('sports', 'Champions League', 90_500, 'Sports · Trending');
  trend('entertainment', 'New trailer', 41_000, 'Entertainment · Trending');

  const scheduledId = account.ids.scheduled.next();
  account.scheduled.set(scheduledId, {
    id: scheduledId,
    text: 'Weekly digest: what Portcullis blocked this week',
    executeAt: Date.UTC(2030, 0, 1, 9, 0, 0) / 1000,
    state: 'Scheduled',
    mediaIds: [],
  });
}
