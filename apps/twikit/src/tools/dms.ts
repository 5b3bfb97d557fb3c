// Direct messages (1:1 and group) and the XChat view of the same conversations.
import { dmConversationId, requireUserByScreenName, type Account, type DirectMessage } from '../account.ts';
import { ToolError } from '../tool-error.ts';
import { idOf, type ToolHandlers } from './types.ts';

const PAGE = 20;

function send(
  account: Account,
  fields: Omit<DirectMessage, 'id' | 'senderId' | 'time' | 'read'>,
): DirectMessage {
  const message: DirectMessage = {
    id: account.ids.message.next(),
    senderId: account.meId,
    time: account.now(),
    read: true,
    ...fields,
  };
  account.messages.set(message.id, message);
  return message;
}

function canSee(account: Account, m: DirectMessage): boolean {
  if (m.groupId !== null)
    return account.groups.get(m.groupId)?.participantIds.includes(account.meId) ?? false;
  return m.senderId === account.meId || m.recipientId === account.meId;
}

const newestFirst = (a: DirectMessage, b: DirectMessage) =>
  b.time.getTime() - a.time.getTime() || Number(b.id) - Number(a.id);

interface Conversation {
  id: string;
  messages: DirectMessage[];
}

function conversations(account: Account): Conversation[] {
  const byId = new Map<string, DirectMessage[]>();
  for (const m of account.messages.values()) {
    if (!canSee(account, m)) continue;
    byId.set(m.conversationId, [...(byId.get(m.conversationId) ?? []), m]);
  }
  return [...byId.entries()]
    .map(([id, messages]) => ({ id, messages: messages.sort(newestFirst) }))
    .sort((a, b) => newestFirst(a.messages[0] as DirectMessage, b.messages[0] as DirectMessage));
}

const unread = (account: Account, c: Conversation) =>
  c.messages.filter((m) => !m.read && m.senderId !== account.meId).length;

function conversationView(account: Account, c: Conversation) {
  const first = c.messages[0] as DirectMessage;
  const group = first.groupId !== null ? account.groups.get(first.groupId) : undefined;
  const participantIds = group ? group.participantIds : c.id.split('-');
  return {
    conversation_id: c.id,
    type: group ? 'group' : 'one_to_one',
    name: group ? group.name : null,
    participants: participantIds.map((id) => account.users.get(id)?.screen_name ?? id),
    last_message: {
      id: first.id,
      sender: account.users.get(first.senderId)?.screen_name ?? first.senderId,
      text: first.text.slice(0, 200),
      time: first.time.toISOString(),
    },
    unread_count: unread(account, c),
  };
}

export const dmTools: ToolHandlers = {
  send_dm(account, { screen_name, text, media_id }) {
    if (!text.trim()) throw new ToolError('text must not be empty.');
    const user = requireUserByScreenName(account, screen_name);
    if (account.blocked.has(user.id))
      throw new ToolError(`You cannot send messages to @${user.screen_name}: you have blocked them.`);
    const message = send(account, {
      conversationId: dmConversationId(account.meId, user.id),
      recipientId: user.id,
      groupId: null,
      text,
      mediaId: media_id === null ? null : idOf(media_id),
    });
    return { message_id: message.id, status: 'sent' };
  },

  send_dm_to_group(account, { group_id, text, media_id }) {
    if (!text.trim()) throw new ToolError('text must not be empty.');
    const group = account.groups.get(idOf(group_id));
    if (!group || !group.participantIds.includes(account.meId))
      throw new ToolError(`Group '${idOf(group_id)}' not found.`);
    const message = send(account, {
      conversationId: group.id,
      recipientId: null,
      groupId: group.id,
      text,
      mediaId: media_id === null ? null : idOf(media_id),
    });
    return { message_id: message.id, status: 'sent' };
  },

  get_dm_history(account, { screen_name, max_id }) {
    const user = requireUserByScreenName(account, screen_name);
    const conversationId = dmConversationId(account.meId, user.id);
    const all = [...account.messages.values()]
      .filter((m) => m.conversationId === conversationId && m.groupId === null)
      .filter((m) => max_id === null || Number(m.id) < Number(idOf(max_id)))
      .sort(newestFirst);
    const page = all.slice(0, PAGE);
    return {
      messages: page.map((m) => ({
        id: m.id,
        text: m.text.slice(0, 500),
        sender_id: m.senderId,
        recipient_id: m.recipientId,
        time: String(m.time.getTime()),
      })),
      next_cursor: all.length > PAGE ? (page[page.length - 1]?.id ?? null) : null,
    };
  },

  delete_dm(account, { message_id }) {
    const id = idOf(message_id);
    const message = account.messages.get(id);
    if (!message || !canSee(account, message)) throw new ToolError(`Message ${id} not found.`);
    account.messages.delete(id);
    return { message_id: id, status: 'deleted' };
  },

  xchat_status(account) {
    const all = conversations(account);
    const me = account.users.get(account.meId);
    return {
      status: 'ready',
      logged_in: true,
      user_id: account.meId,
      screen_name: me?.screen_name ?? null,
      conversation_count: all.length,
      unread_count: all.reduce((n, c) => n + unread(account, c), 0),
    };
  },

  xchat_list_conversations(account, { limit, unread_only }) {
    if (limit < 1) throw new ToolError('limit must be >= 1.');
    const list = conversations(account)
      .filter((c) => !unread_only || unread(account, c) > 0)
      .slice(0, limit)
      .map((c) => conversationView(account, c));
    return { conversations: list, count: list.length };
  },

  xchat_get_history(account, { conversation_id, limit }) {
    if (limit < 1) throw new ToolError('limit must be >= 1.');
    const conversation = conversations(account).find((c) => c.id === conversation_id.trim());
    if (!conversation) throw new ToolError(`Conversation ${conversation_id} not found.`);
    const messages = conversation.messages.slice(0, limit).map((m) => ({
      id: m.id,
      sender_id: m.senderId,
      sender: account.users.get(m.senderId)?.screen_name ?? m.senderId,
      text: m.text,
      time: m.time.toISOString(),
    }));
    return { conversation_id: conversation.id, messages, count: messages.length };
  },
};
