// Scheduled tweets and polls.
import { requireTweet } from '../account.ts';
import { ToolError } from '../tool-error.ts';
import { idOf, type ToolHandlers } from './types.ts';

const MAX_POLL_MINUTES = 10_080;

export const scheduledTools: ToolHandlers = {
  create_scheduled_tweet(account, { scheduled_at, text, media_ids }) {
    if (scheduled_at <= Math.floor(account.now().getTime() / 1000)) {
      throw new ToolError('scheduled_at must be a future Unix timestamp.');
    }
    const mediaIds = ((media_ids ?? []) as Array<string | number>).map(idOf);
    if (!text.trim() && mediaIds.length === 0) {
      throw new ToolError('at least one of text or media_ids must be provided (empty tweet).');
    }
    const id = account.ids.scheduled.next();
    account.scheduled.set(id, { id, text, executeAt: scheduled_at, state: 'Scheduled', mediaIds });
    return { scheduled_tweet_id: id, scheduled_at, status: 'scheduled' };
  },

  get_scheduled_tweets(account) {
    const result = [...account.scheduled.values()]
      .sort((a, b) => a.executeAt - b.executeAt)
      .map((t) => ({
        id: t.id,
        text: t.text.slice(0, 200),
        scheduled_at: t.executeAt,
        state: t.state,
        media_count: t.mediaIds.length,
      }));
    return { scheduled_tweets: result, count: result.length };
  },

  delete_scheduled_tweet(account, { scheduled_tweet_id }) {
    const id = idOf(scheduled_tweet_id);
    if (!id) throw new ToolError('scheduled_tweet_id must be non-empty.');
    if (!account.scheduled.delete(id)) throw new ToolError(`Scheduled tweet ${id} not found.`);
    return { scheduled_tweet_id: id, status: 'deleted' };
  },

  create_poll(account, { choices, duration_minutes }) {
    const list = choices as string[];
    if (list.length < 2 || list.length > 4) {
      throw new ToolError('choices must have 2, 3, or 4 entries (X polls allow 2-4 options).');
    }
    if (duration_minutes <= 0) throw new ToolError('duration_minutes must be greater than 0.');
    if (duration_minutes > MAX_POLL_MINUTES) {
      throw new ToolError(`duration_minutes cannot exceed ${MAX_POLL_MINUTES} (7 days — X poll maximum).`);
    }
    for (const choice of list) {
      if (!choice.trim()) throw new ToolError('all poll choices must be non-empty.');
      if (choice.length > 25)
        throw new ToolError(`poll choice ${JSON.stringify(choice)} exceeds X's 25-character limit.`);
    }
    const cardUri = `card://${account.ids.poll.next()}`;
    account.polls.set(cardUri, {
      cardUri,
      cardName: `poll${list.length}choice_text_only`,
      choices: [...list],
      counts: list.map(() => 0),
      durationMinutes: duration_minutes,
      votedChoice: null,
    });
    return { card_uri: cardUri, status: 'created' };
  },

  vote(account, { selected_choice, card_uri, tweet_id, card_name }) {
    if (!selected_choice.trim()) throw new ToolError('selected_choice must be non-empty.');
    if (!card_uri) throw new ToolError('card_uri must be non-empty.');
    if (!card_name) throw new ToolError('card_name must be non-empty.');
    const tweet = requireTweet(account, tweet_id);
    const poll = account.polls.get(card_uri);
    if (!poll || tweet.pollCardUri !== card_uri || poll.cardName !== card_name) {
      throw new ToolError(`Tweet ${tweet.id} or poll card not found.`);
    }
    const index = poll.choices.indexOf(selected_choice);
    if (index < 0) throw new ToolError(`selected_choice must be one of ${JSON.stringify(poll.choices)}.`);
    if (poll.votedChoice !== null)
      throw new ToolError(`You have already voted in this poll (${JSON.stringify(poll.votedChoice)}).`);
    poll.votedChoice = selected_choice;
    poll.counts[index] = (poll.counts[index] ?? 0) + 1;
    return { tweet_id: tweet.id, selected_choice, status: 'voted' };
  },
};
