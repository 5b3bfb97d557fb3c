// Profiles and the social graph: follow, block, mute, search.
import {
  followersOf,
  followingOf,
  requireUserByScreenName,
  resolveUser,
  type Account,
  type User,
} from '../account.ts';
import { checkCount, paginate, userCompact, userInfo } from '../format.ts';
import { ToolError } from '../tool-error.ts';
import type { ToolHandlers } from './types.ts';

function pageOfUsers(account: Account, ids: string[], count: number, cursor: string | null) {
  checkCount(count);
  const users = ids.flatMap((id) => {
    const u = account.users.get(id);
    return u ? [userCompact(account, u)] : [];
  });
  const { page, next_cursor } = paginate(users, count, cursor);
  return { users: page, next_cursor, count: page.length };
}

function otherUser(account: Account, screenName: string, verb: string): User {
  const user = requireUserByScreenName(account, screenName);
  if (user.id === account.meId) throw new ToolError(`You cannot ${verb} yourself.`);
  return user;
}

const done = (user: User, screen_name: string, status: string) => ({ user_id: user.id, screen_name, status });

export const userTools: ToolHandlers = {
  get_user_info(account, { screen_name, user_id }) {
    return userInfo(account, resolveUser(account, 'get_user_info', screen_name, user_id));
  },

  get_user_followers(account, { screen_name, user_id, count, cursor }) {
    const user = resolveUser(account, 'get_user_followers', screen_name, user_id);
    return pageOfUsers(account, followersOf(account, user.id).reverse(), count, cursor);
  },

  get_user_following(account, { screen_name, user_id, count, cursor }) {
    const user = resolveUser(account, 'get_user_following', screen_name, user_id);
    return pageOfUsers(account, [...followingOf(account, user.id)].reverse(), count, cursor);
  },

  follow_user(account, { screen_name }) {
    const user = otherUser(account, screen_name, 'follow');
    if (account.blocked.has(user.id))
      throw new ToolError(`You have blocked @${user.screen_name}; unblock them first.`);
    followingOf(account, account.meId).add(user.id);
    return done(user, screen_name, 'followed');
  },

  unfollow_user(account, { screen_name }) {
    const user = otherUser(account, screen_name, 'unfollow');
    followingOf(account, account.meId).delete(user.id);
    return done(user, screen_name, 'unfollowed');
  },

  search_user(account, { query, count, cursor }) {
    if (!query.trim()) throw new ToolError('query must not be empty.');
    const q = query.trim().replace(/^@/, '').toLowerCase();
    const ids = [...account.users.values()]
      .filter((u) => [u.screen_name, u.name, u.description].some((s) => s.toLowerCase().includes(q)))
      .map((u) => u.id);
    return pageOfUsers(account, ids, count, cursor);
  },

  block_user(account, { screen_name }) {
    const user = otherUser(account, screen_name, 'block');
    account.blocked.add(user.id);
    // Blocking removes follows in both directions, as on X.
    followingOf(account, account.meId).delete(user.id);
    followingOf(account, user.id).delete(account.meId);
    return done(user, screen_name, 'blocked');
  },

  unblock_user(account, { screen_name }) {
    const user = otherUser(account, screen_name, 'unblock');
    account.blocked.delete(user.id);
    return done(user, screen_name, 'unblocked');
  },

  mute_user(account, { screen_name }) {
    const user = otherUser(account, screen_name, 'mute');
    account.muted.add(user.id);
    return done(user, screen_name, 'muted');
  },

  unmute_user(account, { screen_name }) {
    const user = otherUser(account, screen_name, 'unmute');
    account.muted.delete(user.id);
    return done(user, screen_name, 'unmuted');
  },
};
