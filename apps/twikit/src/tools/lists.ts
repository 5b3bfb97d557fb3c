// Twitter Lists: read, create, edit, manage members.
import { newestFirst, requireList, resolveUser, type Account, type TwitterList } from '../account.ts';
import { checkCount, listDict, paginate, tweetSummary, userCompact } from '../format.ts';
import { ToolError } from '../tool-error.ts';
import type { ToolHandlers } from './types.ts';

const MAX_NAME = 25;
const MAX_DESCRIPTION = 100;

function ownedList(account: Account, listId: string | number): TwitterList {
  const list = requireList(account, listId);
  if (list.ownerId !== account.meId)
    throw new ToolError(`List ${list.id} is not yours; you can only change lists you own.`);
  return list;
}

function checkName(name: string): void {
  if (!name.trim()) throw new ToolError('name must not be empty.');
  if (name.length > MAX_NAME) throw new ToolError(`name must be at most ${MAX_NAME} characters.`);
}

function checkDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION)
    throw new ToolError(`description must be at most ${MAX_DESCRIPTION} characters.`);
}

function usersPage(account: Account, ids: Set<string>, count: number, cursor: string | null) {
  checkCount(count);
  const users = [...ids].flatMap((id) => {
    const u = account.users.get(id);
    return u ? [userCompact(account, u)] : [];
  });
  const { page, next_cursor } = paginate(users, count, cursor);
  return { users: page, next_cursor, count: page.length };
}

export const listTools: ToolHandlers = {
  get_list(account, { list_id }) {
    return listDict(requireList(account, list_id));
  },

  get_lists(account, { count, cursor }) {
    checkCount(count);
    const lists = [...account.lists.values()]
      .filter((l) => l.ownerId === account.meId || l.subscriberIds.has(account.meId))
      .map(listDict);
    const { page, next_cursor } = paginate(lists, count, cursor);
    return { lists: page, next_cursor, count: page.length };
  },

  get_list_tweets(account, { list_id, count, cursor }) {
    checkCount(count);
    const list = requireList(account, list_id);
    const tweets = newestFirst([...account.tweets.values()].filter((t) => list.memberIds.has(t.authorId)));
    const { page, next_cursor } = paginate(tweets, count, cursor);
    return { tweets: page.map((t) => tweetSummary(account, t)), next_cursor, count: page.length };
  },

  get_list_members(account, { list_id, count, cursor }) {
    return usersPage(account, requireList(account, list_id).memberIds, count, cursor);
  },

  get_list_subscribers(account, { list_id, count, cursor }) {
    return usersPage(account, requireList(account, list_id).subscriberIds, count, cursor);
  },

  create_list(account, { name, description, is_private }) {
    checkName(name);
    checkDescription(description);
    const id = account.ids.list.next();
    const list: TwitterList = {
      id,
      ownerId: account.meId,
      name,
      description,
      isPrivate: is_private,
      memberIds: new Set(),
      subscriberIds: new Set(),
      createdAt: account.now(),
    };
    account.lists.set(id, list);
    return listDict(list);
  },

  edit_list(account, { list_id, name, description, is_private }) {
    if (name === null && description === null && is_private === null) {
      throw new ToolError('at least one of name/description/is_private must be provided.');
    }
    const list = ownedList(account, list_id);
    if (name !== null) checkName(name);
    if (description !== null) checkDescription(description);
    if (name !== null) list.name = name;
    if (description !== null) list.description = description;
    if (is_private !== null) list.isPrivate = is_private;
    return listDict(list);
  },

  add_list_member(account, { list_id, screen_name, user_id }) {
    const user = resolveUser(account, 'add_list_member', screen_name, user_id);
    const list = ownedList(account, list_id);
    list.memberIds.add(user.id);
    return listDict(list);
  },

  remove_list_member(account, { list_id, screen_name, user_id }) {
    const user = resolveUser(account, 'remove_list_member', screen_name, user_id);
    const list = ownedList(account, list_id);
    if (!list.memberIds.delete(user.id))
      throw new ToolError(`@${user.screen_name} is not a member of list ${list.id}.`);
    return listDict(list);
  },
};
