// Trends and notifications.
import { checkCount, paginate } from '../format.ts';
import { ToolError } from '../tool-error.ts';
import type { ToolHandlers } from './types.ts';

const TREND_CATEGORIES = ['entertainment', 'for-you', 'news', 'sports', 'trending'];
const NOTIFICATION_TYPES = ['All', 'Mentions', 'Verified'];

export const discoveryTools: ToolHandlers = {
  get_trends(account, { category, count }) {
    if (!TREND_CATEGORIES.includes(category)) {
      throw new ToolError(
        `category must be one of ${JSON.stringify(TREND_CATEGORIES)}, got: ${JSON.stringify(category)}`,
      );
    }
    checkCount(count, null);
    const trends = account.trends
      .filter((t) => t.category === category)
      .slice(0, count)
      .map((t) => ({ name: t.name, tweets_count: t.tweetsCount, domain_context: t.domainContext }));
    return { trends, category };
  },

  get_notifications(account, { notification_type, count, cursor }) {
    if (!NOTIFICATION_TYPES.includes(notification_type)) {
      throw new ToolError(
        `notification_type must be one of ${JSON.stringify(NOTIFICATION_TYPES)}, got: ${JSON.stringify(notification_type)}`,
      );
    }
    checkCount(count);
    const items = account.notifications
      .filter((n) => notification_type === 'All' || n.type === notification_type)
      .sort((a, b) => b.timestampMs - a.timestampMs)
      .map((n) => ({
        id: n.id,
        timestamp_ms: n.timestampMs,
        icon: n.icon,
        message: n.message,
        ...(n.tweetId !== null && account.tweets.has(n.tweetId) ? { tweet_id: n.tweetId } : {}),
      }));
    const { page, next_cursor } = paginate(items, count, cursor);
    return { notifications: page, next_cursor, count: page.length };
  },
};
