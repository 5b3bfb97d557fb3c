// Posts: publish, read, search, engage, delete; video download and X Articles.
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  addTweet,
  extractTweetId,
  followingOf,
  newestFirst,
  requireTweet,
  requireUserByScreenName,
  visibleTweets,
  type Account,
  type Tweet,
} from '../account.ts';
import { checkCount, paginate, tweetDetail, tweetSummary, twitterDate, userCompact } from '../format.ts';
import { ToolError } from '../tool-error.ts';
import type { ToolHandlers } from './types.ts';

const ARTICLE_URL = /\/i\/article\/(\d+)/;
const SEARCH_PRODUCTS = ['Top', 'Latest', 'Media'];
const ARTICLE_FORMATS = ['preview', 'plain', 'full'];

function matches(account: Account, t: Tweet, query: string): boolean {
  const text = t.text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((term) =>
      term.startsWith('from:')
        ? account.users.get(t.authorId)?.screen_name.toLowerCase() === term.slice(5).replace(/^@/, '')
        : text.includes(term),
    );
}

function usersOf(account: Account, ids: Set<string>, count: number, cursor: string | null) {
  checkCount(count);
  const users = [...ids].reverse().flatMap((id) => {
    const u = account.users.get(id);
    return u ? [userCompact(account, u)] : [];
  });
  const { page, next_cursor } = paginate(users, count, cursor);
  return { users: page, next_cursor, count: page.length };
}

export const tweetTools: ToolHandlers = {
  send_tweet(account, { text, reply_to }) {
    if (!text.trim()) throw new ToolError('text must not be empty.');
    if ([...text].length > 280) throw new ToolError('Tweet text exceeds 280 characters.');
    const parent = reply_to === null ? null : requireTweet(account, reply_to);
    const tweet = addTweet(account, { authorId: account.meId, text, inReplyTo: parent ? parent.id : null });
    return { id: tweet.id, text, status: 'sent' };
  },

  get_tweet(account, { tweet_id }) {
    const article = ARTICLE_URL.exec(String(tweet_id));
    if (article) {
      throw new ToolError(`This is an X Article (id=${article[1]}), not a tweet. Use get_article instead.`);
    }
    const id = extractTweetId(tweet_id);
    const tweet = account.tweets.get(id);
    if (!tweet)
      throw new ToolError(`Tweet ${id} not found. If this is an X Article URL, use get_article instead.`);
    return tweetDetail(account, tweet);
  },

  get_tweet_replies(account, { tweet_id, cursor }) {
    const parent = requireTweet(account, tweet_id);
    const replies = visibleTweets(account)
      .filter((t) => t.inReplyTo === parent.id)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const { page, next_cursor } = paginate(replies, 20, cursor);
    return { tweets: page.map((t) => tweetSummary(account, t)), next_cursor, count: page.length };
  },

  download_tweet_video(account, { tweet_id, output_dir, format }) {
    const tweet = requireTweet(account, tweet_id);
    if (!tweet.video) throw new ToolError('Tweet has no video attachment');
    const dir = output_dir ?? join(homedir(), 'Downloads', 'twikit-mcp');
    const ext = /webm/.test(format) ? 'webm' : 'mp4';
    const path = join(dir.replace(/^~(?=$|\/)/, homedir()), `${tweet.id}.${ext}`);
    // Simulated: recorded in the account, nothing is written to disk.
    account.downloads.push({ tweetId: tweet.id, path, format });
    return {
      path,
      size_bytes: tweet.video.size_bytes,
      duration_sec: tweet.video.duration_sec,
      format: `video/${ext}`,
      width: tweet.video.width,
      height: tweet.video.height,
      url: `https://x.com/i/status/${tweet.id}`,
      tweet_id: tweet.id,
    };
  },

  get_timeline(account, { count }) {
    checkCount(count, null);
    const follows = followingOf(account, account.meId);
    const tweets = visibleTweets(account).filter(
      (t) => (t.authorId === account.meId || follows.has(t.authorId)) && !account.muted.has(t.authorId),
    );
    return newestFirst(tweets)
      .slice(0, count)
      .map((t) => tweetSummary(account, t));
  },

  search_tweets(account, { query, count, product }) {
    if (!query.trim()) throw new ToolError('query must not be empty.');
    if (!SEARCH_PRODUCTS.includes(product)) {
      throw new ToolError(
        `product must be one of ${JSON.stringify(SEARCH_PRODUCTS)}, got: ${JSON.stringify(product)}`,
      );
    }
    checkCount(count, null);
    let found = visibleTweets(account).filter((t) => matches(account, t, query));
    if (product === 'Media') found = found.filter((t) => t.video !== null);
    const ordered =
      product === 'Top'
        ? [...found].sort(
            (a, b) =>
              b.likedBy.size + b.retweetedBy.size - (a.likedBy.size + a.retweetedBy.size) ||
              Number(b.id) - Number(a.id),
          )
        : newestFirst(found);
    return ordered.slice(0, count).map((t) => tweetSummary(account, t));
  },

  like_tweet(account, { tweet_id }) {
    const tweet = requireTweet(account, tweet_id);
    if (tweet.likedBy.has(account.meId)) throw new ToolError(`You have already liked tweet ${tweet.id}.`);
    tweet.likedBy.add(account.meId);
    return { tweet_id: tweet.id, status: 'liked' };
  },

  retweet(account, { tweet_id }) {
    const tweet = requireTweet(account, tweet_id);
    if (tweet.retweetedBy.has(account.meId))
      throw new ToolError(`You have already retweeted tweet ${tweet.id}.`);
    tweet.retweetedBy.add(account.meId);
    return { tweet_id: tweet.id, status: 'retweeted' };
  },

  get_user_tweets(account, { screen_name, count }) {
    checkCount(count, null);
    const user = requireUserByScreenName(account, screen_name);
    const tweets = [...account.tweets.values()].filter((t) => t.authorId === user.id && t.inReplyTo === null);
    return newestFirst(tweets)
      .slice(0, count)
      .map((t) => ({
        id: t.id,
        text: t.text.slice(0, 200),
        created_at: twitterDate(t.createdAt),
        likes: t.likedBy.size,
        retweets: t.retweetedBy.size,
      }));
  },

  delete_tweet(account, { tweet_id }) {
    const tweet = requireTweet(account, tweet_id);
    if (tweet.authorId !== account.meId)
      throw new ToolError(`Tweet ${tweet.id} is not yours; you can only delete your own tweets.`);
    account.tweets.delete(tweet.id);
    account.bookmarks.delete(tweet.id);
    return { tweet_id: tweet.id, status: 'deleted' };
  },

  unfavorite_tweet(account, { tweet_id }) {
    const tweet = requireTweet(account, tweet_id);
    if (!tweet.likedBy.delete(account.meId)) throw new ToolError(`Tweet ${tweet.id} is not liked by you.`);
    return { tweet_id: tweet.id, status: 'unliked' };
  },

  delete_retweet(account, { tweet_id }) {
    const tweet = requireTweet(account, tweet_id);
    if (!tweet.retweetedBy.delete(account.meId))
      throw new ToolError(`Tweet ${tweet.id} is not retweeted by you.`);
    return { tweet_id: tweet.id, status: 'un-retweeted' };
  },

  get_favoriters(account, { tweet_id, count, cursor }) {
    return usersOf(account, requireTweet(account, tweet_id).likedBy, count, cursor);
  },

  get_retweeters(account, { tweet_id, count, cursor }) {
    return usersOf(account, requireTweet(account, tweet_id).retweetedBy, count, cursor);
  },

  get_article_preview(account, { tweet_id }) {
    const tweet = requireTweet(account, tweet_id);
    const article = tweet.articleId ? account.articles.get(tweet.articleId) : undefined;
    if (!article) throw new ToolError(`Tweet ${tweet.id} does not embed an article.`);
    return {
      rest_id: article.restId,
      title: article.title,
      preview_text: article.previewText,
      cover_image: article.coverImage,
      tweet_id: tweet.id,
      author: account.users.get(tweet.authorId)?.screen_name ?? '',
    };
  },

  get_article(account, { article_id, format }) {
    if (!ARTICLE_FORMATS.includes(format)) {
      throw new ToolError(
        `format must be one of ${ARTICLE_FORMATS.join('/')}, got: ${JSON.stringify(format)}`,
      );
    }
    const restId = ARTICLE_URL.exec(String(article_id))?.[1] ?? String(article_id).trim();
    const article = account.articles.get(restId);
    if (!article || !account.tweets.has(article.tweetId)) {
      throw new ToolError(`Article ${restId} not found (deleted, private, or not visible to this account).`);
    }
    const preview = {
      rest_id: article.restId,
      title: article.title,
      preview_text: article.previewText,
      cover_image: article.coverImage,
    };
    if (format === 'preview') return preview;
    if (format === 'plain') {
      return {
        ...preview,
        plain_text: article.plainText,
        media: article.media,
        lifecycle_state: article.lifecycleState,
      };
    }
    return {
      rest_id: article.restId,
      title: article.title,
      preview_text: article.previewText,
      plain_text: article.plainText,
      cover_media: { media_info: { original_img_url: article.coverImage } },
      media_entities: article.media.map((url) => ({ media_info: { original_img_url: url } })),
      lifecycle_state: article.lifecycleState,
      metadata: { tweet_results: { rest_id: article.tweetId } },
      content_state: {
        blocks: article.plainText.split('. ').map((text, i) => ({ key: `b${i}`, type: 'unstyled', text })),
      },
    };
  },
};
