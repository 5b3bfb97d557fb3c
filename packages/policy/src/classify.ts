// Risk classification of MCP tools, for servers we have never seen: MCP annotations first, then
// the verb in the tool's name, then the description's leading verb, then the input schema.
// There is deliberately no per-server lookup table.

import type { RiskCategory, RiskSeverity } from './types.ts';

export interface ToolDescription {
  name: string;
  description?: string;
  inputSchema?: unknown;
  annotations?: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
    [key: string]: unknown;
  };
}

export interface ToolClassification {
  category: RiskCategory;
  severity: RiskSeverity;
  /** One sentence naming the evidence, for the dashboard. */
  why: string;
}

interface VerbRisk {
  category: RiskCategory;
  severity: RiskSeverity;
  /** Completes "… because it <effect>". */
  effect: string;
}

const READS: VerbRisk = { category: 'read', severity: 'low', effect: 'only reads' };
const SAVES_LOCALLY: VerbRisk = {
  category: 'write',
  severity: 'low',
  effect: 'saves data locally without changing the remote service',
};
const CHANGES: VerbRisk = {
  category: 'write',
  severity: 'medium',
  effect: 'changes state in a way that can be undone',
};
const PUBLISHES: VerbRisk = {
  category: 'write',
  severity: 'high',
  effect: 'publishes content or sends messages others will see',
};
const DESTROYS: VerbRisk = {
  category: 'destructive',
  severity: 'high',
  effect: 'deletes, blocks, revokes or runs arbitrary actions',
};

function verbs(risk: VerbRisk, words: string): Array<[string, VerbRisk]> {
  return words
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => [word, risk]);
}

const VERB_RISK = new Map<string, VerbRisk>([
  ...verbs(
    READS,
    `get list search find read fetch query lookup look show view describe inspect check count open browse
    retrieve preview explain analyze analyse compare diff validate summarize summarise resolve scan stat tail head grep
    print echo ping peek watch export navigate screenshot snapshot translate calculate compute estimate`,
  ),
  ...verbs(SAVES_LOCALLY, 'download cache'),
  ...verbs(
    CHANGES,
    `follow unfollow join leave like unlike favorite favourite unfavorite unfavourite bookmark unbookmark
    mute unmute unblock vote add edit update modify change set rename move copy create make new insert upsert save store
    write put patch upload tag untag label assign unassign star unstar pin unpin subscribe unsubscribe enable disable
    toggle start stop restart pause resume trigger schedule request invite accept approve reject decline archive
    unarchive restore undo fork clone branch checkout commit close reopen lock unlock register connect disconnect link
    attach detach import sync install configure apply cancel react mark gzip compress extract rotate resize convert`,
  ),
  ...verbs(
    PUBLISHES,
    `send post publish tweet retweet repost quote reply respond dm message email mail push merge broadcast
    share comment announce notify deploy release submit transfer pay`,
  ),
  ...verbs(
    DESTROYS,
    `delete remove destroy drop purge erase wipe truncate revoke block ban kick kill terminate uninstall
    unlink reset clear overwrite shred exec execute run eval shell`,
  ),
]);

/** So unambiguous that they make a tool destructive wherever they appear in its name (e.g. `tweet_delete`). */
const DESTRUCTIVE_ANYWHERE = new Set([
  'delete',
  'del',
  'rm',
  'rmdir',
  'remove',
  'destroy',
  'drop',
  'purge',
  'erase',
  'wipe',
  'truncate',
  'revoke',
  'uninstall',
]);

/** Parameters that carry code for the server to run: whatever the verb, the tool can do anything the code does. */
const CODE_PARAMETERS = new Set(['sql', 'statement', 'command', 'cmd', 'script', 'code', 'shell']);
const SAYS_READ_ONLY = /\bread[- ]?only\b/i;

/** Creating one of these is publishing: an issue, a post, a comment is seen by others at once. */
const CONTENT_NOUNS = new Set(
  `tweet tweets post posts message messages dm dms comment comments reply replies issue issues pull review reviews email
   emails mail story stories article articles release releases gist gists announcement announcements`.split(
    /\s+/,
  ),
);
const CREATING_VERBS = new Set(['create', 'add', 'new', 'make', 'write', 'submit', 'schedule']);

/** Nouns that, with no verb at all, name something to look at (`xchat_status`, `directory_tree`). */
const READ_NOUNS = new Set([
  'status',
  'info',
  'details',
  'detail',
  'history',
  'tree',
  'stats',
  'metadata',
  'version',
  'health',
  'whoami',
]);

/** Verbs found only in descriptions ("Returns the…", "Reports whether…"). */
const DESCRIPTION_READ_VERBS = new Set([
  'return',
  'report',
  'tell',
  'give',
  'provide',
  'display',
  'obtain',
  'retrieve',
]);

const IRREVERSIBLE = /\b(permanently|irreversibl[ey]|cannot be undone|can't be undone|can not be undone)\b/i;

/** Parameters that only select or page through what to read. */
const READ_PARAMETERS = new Set([
  'query',
  'q',
  'limit',
  'count',
  'cursor',
  'page',
  'page_size',
  'per_page',
  'offset',
  'filter',
  'sort',
  'order',
  'since',
  'until',
  'id',
  'ids',
  'fields',
  'format',
  'lang',
  'language',
]);

export function tokenizeToolName(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function stems(word: string): string[] {
  const candidates = [word];
  if (word.endsWith('ies')) candidates.push(word.slice(0, -3) + 'y');
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  return candidates;
}

function classifyByName(tokens: string[]): ToolClassification | undefined {
  const destructive = tokens.find((t) => DESTRUCTIVE_ANYWHERE.has(t));
  if (destructive) return result(DESTROYS, `its name contains "${destructive}"`);
  for (const token of tokens) {
    const risk = VERB_RISK.get(token);
    if (!risk) continue;
    if (risk.category === 'write' && risk.severity !== 'high' && CREATING_VERBS.has(token)) {
      const noun = tokens.find((t) => CONTENT_NOUNS.has(t));
      if (noun) return result(PUBLISHES, `its name "${token} … ${noun}" creates content others will see`);
    }
    return result(risk, `its name's verb "${token}" ${risk.effect}`);
  }
  const noun = tokens.find((t) => READ_NOUNS.has(t));
  if (noun) return result(READS, `its name has no action verb and names something to look at ("${noun}")`);
  return undefined;
}

function classifyByDescription(description: string): ToolClassification | undefined {
  // The leading verb of the first sentence, skipping adverbs such as "Permanently".
  const words = description.toLowerCase().match(/[a-z']+/g) ?? [];
  for (const word of words.slice(0, 4)) {
    if (word.endsWith('ly')) continue;
    for (const stem of stems(word)) {
      if (DESCRIPTION_READ_VERBS.has(stem)) return result(READS, `its description starts with "${word}"`);
      const risk = VERB_RISK.get(stem);
      if (risk) return result(risk, `its description's verb "${word}" ${risk.effect}`);
    }
  }
  return undefined;
}

function classifyBySchema(inputSchema: unknown): ToolClassification | undefined {
  if (typeof inputSchema !== 'object' || inputSchema === null) return undefined;
  const properties = (inputSchema as { properties?: unknown }).properties;
  if (typeof properties !== 'object' || properties === null) return undefined;
  const names = Object.keys(properties);
  if (names.every((n) => READ_PARAMETERS.has(n.toLowerCase()))) {
    return result(READS, 'its parameters only select or page through data');
  }
  return undefined;
}

function codeParameterOf(inputSchema: unknown): string | undefined {
  if (typeof inputSchema !== 'object' || inputSchema === null) return undefined;
  const properties = (inputSchema as { properties?: unknown }).properties;
  if (typeof properties !== 'object' || properties === null) return undefined;
  return Object.keys(properties).find((name) => CODE_PARAMETERS.has(name.toLowerCase()));
}

function result(risk: VerbRisk, because: string): ToolClassification {
  return {
    category: risk.category,
    severity: risk.severity,
    why: `${risk.category}/${risk.severity}: ${because}`,
  };
}

function classifyHeuristically(tool: ToolDescription): ToolClassification {
  const byText =
    classifyByName(tokenizeToolName(tool.name)) ??
    (tool.description ? classifyByDescription(tool.description) : undefined) ??
    classifyBySchema(tool.inputSchema);
  if (
    byText &&
    byText.category !== 'destructive' &&
    tool.description &&
    IRREVERSIBLE.test(tool.description)
  ) {
    return result(DESTROYS, 'its description says the effect is permanent');
  }
  const codeParameter = codeParameterOf(tool.inputSchema);
  if (
    byText?.category !== 'destructive' &&
    codeParameter &&
    !(tool.description && SAYS_READ_ONLY.test(tool.description))
  ) {
    return result(
      DESTROYS,
      `its parameter "${codeParameter}" takes code or a command to run, and its description does not say read-only`,
    );
  }
  return (
    byText ?? {
      category: 'write',
      severity: 'medium',
      why: 'write/medium: nothing in its name, description or parameters shows it only reads, so it is assumed to change state',
    }
  );
}

/**
 * Classifies a tool. Annotations win when present: readOnlyHint true → read/low; destructiveHint
 * true (on a tool not marked read-only) → destructive/high; readOnlyHint false → at least write,
 * and destructiveHint false caps it at write. Otherwise the heuristics decide.
 */
export function classifyTool(tool: ToolDescription): ToolClassification {
  const hints = tool.annotations ?? {};
  if (hints.readOnlyHint === true) return result(READS, 'the server marks it readOnlyHint');
  if (hints.destructiveHint === true) return result(DESTROYS, 'the server marks it destructiveHint');
  const guess = classifyHeuristically(tool);
  if (hints.readOnlyHint === false || hints.destructiveHint === false) {
    if (guess.category === 'read') {
      return {
        category: 'write',
        severity: 'low',
        why: `write/low: the server says it is not read-only, though ${guess.why.replace(/^\S+ /, '')}`,
      };
    }
    if (guess.category === 'destructive' && hints.destructiveHint === false) {
      return {
        category: 'write',
        severity: 'high',
        why: `write/high: the server marks it not destructive, though ${guess.why.replace(/^\S+ /, '')}`,
      };
    }
  }
  return guess;
}
