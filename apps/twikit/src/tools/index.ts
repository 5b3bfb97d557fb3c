// Every tool handler, keyed by the catalog's tool name.
import { bookmarkTools } from './bookmarks.ts';
import { communityTools } from './communities.ts';
import { discoveryTools } from './discovery.ts';
import { dmTools } from './dms.ts';
import { listTools } from './lists.ts';
import { scheduledTools } from './scheduled.ts';
import { tweetTools } from './tweets.ts';
import type { ToolHandlers } from './types.ts';
import { userTools } from './users.ts';

export const TOOL_HANDLERS: ToolHandlers = {
  ...tweetTools,
  ...bookmarkTools,
  ...userTools,
  ...discoveryTools,
  ...dmTools,
  ...listTools,
  ...scheduledTools,
  ...communityTools,
};

export type { ToolHandler, ToolHandlers } from './types.ts';
