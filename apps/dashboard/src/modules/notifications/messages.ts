// What a channel is told about a pending approval. Built when the delivery is queued, while the
// approval still holds its arguments (they are cleared once it is decided). Only a channel the
// organization marked trusted receives argument values; the others get the argument names.

export interface ApprovalFacts {
  id: string;
  toolName: string;
  serverName: string;
  grantName: string;
  ruleId: string | null;
  arguments: unknown;
  createdAt: Date;
  expiresAt: Date;
  organization: { slug: string; name: string };
}

/** Largest argument JSON a trusted channel receives; longer is cut and says so. */
export const MAX_ARGUMENTS_CHARS = 8_000;

export function approvalUrl(baseUrl: string, orgSlug: string, approvalId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/o/${encodeURIComponent(orgSlug)}/approvals#approval-${approvalId}`;
}

function argumentNames(args: unknown): string[] {
  return args && typeof args === 'object' && !Array.isArray(args) ? Object.keys(args) : [];
}

function boundedArguments(args: unknown): { arguments: unknown; argumentsTruncated: boolean } {
  const text = JSON.stringify(args ?? {});
  if (text.length <= MAX_ARGUMENTS_CHARS) return { arguments: args ?? {}, argumentsTruncated: false };
  return { arguments: `${text.slice(0, MAX_ARGUMENTS_CHARS)}…`, argumentsTruncated: true };
}

/** The webhook body (JSON): the event, the approval and its link. */
export function webhookPayload(facts: ApprovalFacts, baseUrl: string, trusted: boolean) {
  return {
    type: 'approval.requested',
    organization: facts.organization,
    approval: {
      id: facts.id,
      url: approvalUrl(baseUrl, facts.organization.slug, facts.id),
      tool: facts.toolName,
      server: facts.serverName,
      grant: facts.grantName,
      rule: facts.ruleId,
      requestedAt: facts.createdAt.toISOString(),
      expiresAt: facts.expiresAt.toISOString(),
      argumentNames: argumentNames(facts.arguments),
      ...(trusted ? boundedArguments(facts.arguments) : {}),
    },
  };
}

function summary(facts: ApprovalFacts): string {
  return `${facts.toolName} on ${facts.serverName} (grant ${facts.grantName}) is waiting for approval in ${facts.organization.name}`;
}

function argumentLines(facts: ApprovalFacts, trusted: boolean): string {
  if (trusted) {
    const bounded = boundedArguments(facts.arguments);
    return `Arguments: ${typeof bounded.arguments === 'string' ? bounded.arguments : JSON.stringify(bounded.arguments, null, 2)}`;
  }
  const names = argumentNames(facts.arguments);
  return `Argument names: ${names.length ? names.join(', ') : '(none)'} (values are shown in the dashboard)`;
}

/** Slack-compatible incoming-webhook body. */
export function slackPayload(facts: ApprovalFacts, baseUrl: string, trusted: boolean) {
  const url = approvalUrl(baseUrl, facts.organization.slug, facts.id);
  const text = `${summary(facts)}. Review: ${url}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*Approval needed*: \`${facts.toolName}\` on ${facts.serverName} (grant ${facts.grantName})`,
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: trusted
            ? `\`\`\`${argumentLines(facts, true).slice('Arguments: '.length)}\`\`\``
            : argumentLines(facts, false),
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `<${url}|Review in Portcullis> · expires ${facts.expiresAt.toISOString()}`,
        },
      },
    ],
  };
}

/** The e-mail: subject and plain text. */
export function emailMessage(
  facts: ApprovalFacts,
  baseUrl: string,
  trusted: boolean,
): { subject: string; text: string } {
  const url = approvalUrl(baseUrl, facts.organization.slug, facts.id);
  return {
    subject: `Approval needed: ${facts.toolName} on ${facts.serverName}`,
    text: [
      `${summary(facts)}.`,
      '',
      argumentLines(facts, trusted),
      facts.ruleId ? `Rule: ${facts.ruleId}` : null,
      `Expires: ${facts.expiresAt.toISOString()}`,
      '',
      `Approve or deny: ${url}`,
    ]
      .filter((line) => line !== null)
      .join('\n'),
  };
}

/** A connected account stopped working (refresh refused): someone must reconnect it (docs/upstream-oauth.md). */
export interface ReconnectFacts {
  serverId: string;
  serverName: string;
  /** "shared", or the e-mail of the member whose account it is. */
  account: string;
  organization: { slug: string; name: string };
}

function connectionsUrl(baseUrl: string, facts: ReconnectFacts): string {
  return `${baseUrl.replace(/\/+$/, '')}/o/${encodeURIComponent(facts.organization.slug)}/connections?server=${encodeURIComponent(facts.serverId)}`;
}

/** The message per channel kind (no token, no upstream text: our own words only). */
export function reconnectMessage(
  kind: 'webhook' | 'slack' | 'email',
  facts: ReconnectFacts,
  baseUrl: string,
) {
  const url = connectionsUrl(baseUrl, facts);
  const who = facts.account === 'shared' ? 'The shared account' : `The account of ${facts.account}`;
  const sentence = `${who} on ${facts.serverName} needs reconnecting in ${facts.organization.name}: its grants get "needs connection" until then`;
  if (kind === 'webhook')
    return {
      type: 'connection.needs_reconnect',
      organization: facts.organization,
      connection: { server: facts.serverName, serverId: facts.serverId, account: facts.account, url },
    };
  if (kind === 'slack') return { text: `${sentence}. Reconnect: ${url}` };
  return { subject: `Reconnect needed: ${facts.serverName}`, text: `${sentence}.\n\nReconnect: ${url}` };
}
