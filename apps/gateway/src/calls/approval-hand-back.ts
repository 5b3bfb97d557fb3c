// What an agent reads about approvals: the hand-back when a call waited as long as a client can
// (which approval, that a person has been asked, and to call again with the same arguments once
// approved), and the approver's note on the result of an approved call.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export interface HandBack {
  toolName: string;
  rule: string;
  policyVersion: number | null;
  approvalId: string;
  expiresAt: Date;
}

export function approvalHandBack(h: HandBack): CallToolResult {
  const text =
    `Approval required (${h.rule.startsWith('(') ? h.rule : `(${h.rule})`}): this call was not run yet. A person has been asked to approve it ` +
    `(approval ${h.approvalId}). Call ${h.toolName} again with exactly the same arguments once it is approved: the approval lets ` +
    `one identical call through. If no one decides by ${h.expiresAt.toISOString()}, the request expires.`;
  return {
    content: [{ type: 'text', text }],
    isError: true,
    _meta: {
      'portcullis/decision': {
        effect: 'require_approval',
        rule: h.rule,
        reason: 'Waiting for approval: a person has been asked',
        policyVersion: h.policyVersion,
        approvalId: h.approvalId,
        approvalStatus: 'pending',
        approvalExpiresAt: h.expiresAt.toISOString(),
      },
    },
  };
}

/** The approved call's result, with the approver's note (when they left one) for the agent to read. */
export function withApproverNote(
  result: CallToolResult,
  approvalId: string,
  note: string | null,
): CallToolResult {
  const meta = { ...(result._meta ?? {}), 'portcullis/approval': { approvalId, note } };
  if (!note) return { ...result, _meta: meta };
  return {
    ...result,
    content: [
      ...(result.content ?? []),
      { type: 'text', text: `Note from the person who approved this call: ${note}` },
    ],
    _meta: meta,
  };
}
