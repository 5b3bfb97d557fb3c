// A fresh account: the logged-in user's empty collections and id counters, then the demo data
// (seed.ts). Its own module so account.ts (the model and its lookups) and seed.ts (which builds on
// them) do not import each other.
import { Sequence, type Account } from './account.ts';
import { seedAccount } from './seed.ts';

export interface AccountOptions {
  /** Clock for timestamps (created_at, scheduling checks). Ids never depend on it. */
  now?: () => Date;
  /** Start empty except for the logged-in user (default: seeded with demo data). */
  empty?: boolean;
}

export function createAccount(options: AccountOptions = {}): Account {
  const account: Account = {
    meId: '1000',
    users: new Map(),
    following: new Map(),
    tweets: new Map(),
    bookmarks: new Map(),
    blocked: new Set(),
    muted: new Set(),
    messages: new Map(),
    groups: new Map(),
    lists: new Map(),
    scheduled: new Map(),
    polls: new Map(),
    communities: new Map(),
    articles: new Map(),
    notifications: [],
    trends: [],
    downloads: [],
    ids: {
      user: new Sequence(1000),
      tweet: new Sequence(1_850_000_000_000_000),
      message: new Sequence(1_860_000_000_000_000),
      group: new Sequence(1_910_000_000_000_000),
      list: new Sequence(1_870_000_000_000_000),
      scheduled: new Sequence(1_880_000_000_000_000),
      poll: new Sequence(1_900_000_000_000_000),
      community: new Sequence(1_490_000_000_000_000),
      article: new Sequence(1_890_000_000_000_000),
      notification: new Sequence(0),
    },
    now: options.now ?? (() => new Date()),
  };
  seedAccount(account, { empty: options.empty ?? false });
  return account;
}
