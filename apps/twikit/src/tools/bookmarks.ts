// Bookmarks of the logged-in user.
import { requireTweet } from '../account.ts';
import { checkCount, paginate, tweetSummary } from '../format.ts';
import { ToolError } from '../tool-error.ts';
import { idOf, type ToolHandlers } from './types.ts';

export const bookmarkTools: ToolHandlers = {
  bookmark_tweet(account, { tweet_id, folder_id }) {
    const tweet = requireTweet(account, tweet_id);
    if (account.bookmarks.has(tweet.id)) throw new ToolError(`Tweet ${tweet.id} is already bookmarked.`);
    const folder = folder_id === null ? null : idOf(folder_id);
    account.bookmarks.set(tweet.id, folder);
    return { tweet_id: tweet.id, status: 'bookmarked', ...(folder === null ? {} : { folder_id: folder }) };
  },

  delete_bookmark(account, { tweet_id }) {
    const id = idOf(tweet_id);
    if (!account.bookmarks.delete(id)) throw new ToolError(`Bookmark for tweet ${id} not found.`);
    return { tweet_id: id, status: 'un-bookmarked' };
  },

  get_bookmarks(account, { count, cursor }) {
    checkCount(count);
    const tweets = [...account.bookmarks.keys()].reverse().flatMap((id) => {
      const t = account.tweets.get(id);
      return t ? [tweetSummary(account, t)] : [];
    });
    const { page, next_cursor } = paginate(tweets, count, cursor);
    return { tweets: page, next_cursor, count: page.length };
  },
};
