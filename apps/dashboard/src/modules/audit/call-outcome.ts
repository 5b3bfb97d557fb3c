// What happened to a call, in the words a person reads in the audit log and the approvals history:
// ran, failed upstream (with the error), refused, expired, cancelled by the client. Pure, so the
// audit table, the details panel, the approvals history and the export all say the same thing.
import { TOOLSET_RULE } from '@portcullis/policy/toolset';
import type { Tone } from '../../components/badge';
import { PENDING_HORIZON_MS } from './audit';

export interface CallOutcome {
  /** A few words, e.g. "ran", "failed upstream", "refused". */
  words: string;
  tone: Tone;
  /** The rest of the story, e.g. the upstream's error; null when the words say it all. */
  detail: string | null;
}

export interface OutcomeInput {
  decision: string;
  upstreamOutcome: string;
  upstreamError?: string | null;
  reason?: string | null;
  /** The rule that decided; `(toolset)` for a tool a toolset leaves out. */
  ruleId?: string | null;
  createdAt: Date;
  /** The approval this row is about, when there is one. */
  approvalStatus?: string | null;
  approvalNote?: string | null;
}

/** The outcome of one audit row. */
export function callOutcome(row: OutcomeInput, now = Date.now()): CallOutcome {
  switch (row.upstreamOutcome) {
    case 'ok':
      return { words: 'ran', tone: 'green', detail: null };
    case 'tool_error':
      return { words: 'ran, the tool reported an error', tone: 'amber', detail: row.upstreamError ?? null };
    case 'error':
      return { words: 'failed upstream', tone: 'red', detail: row.upstreamError ?? null };
    case 'timeout':
      return { words: 'failed upstream: timed out', tone: 'red', detail: row.upstreamError ?? null };
    case 'cancelled':
      return {
        words: 'cancelled by the client after it was sent',
        tone: 'amber',
        detail: 'the call may have run',
      };
    case 'unknown':
      return { words: 'unknown: sent, no answer', tone: 'amber', detail: 'the call may have run' };
    case 'needs_connection':
      // A server behind sign-in without a usable account for this grant's person: nothing was sent.
      return {
        words: 'not sent: account not connected',
        tone: 'amber',
        detail: row.upstreamError ?? null,
      };
    case 'pending':
      return now - row.createdAt.getTime() > PENDING_HORIZON_MS
        ? {
            words: 'unknown: the gateway stopped',
            tone: 'amber',
            detail:
              'sent upstream; the gateway stopped before recording the answer, so the call may have run',
          }
        : { words: 'running', tone: 'sky', detail: 'sent upstream, no answer yet' };
    default:
      break;
  }
  // Not sent: the decision (and, for approvals, what became of the approval) says why.
  if (row.decision === 'require_approval') return heldOutcome(row);
  if (row.decision === 'rate_limited')
    return { words: 'refused: rate limited', tone: 'amber', detail: row.reason ?? null };
  if (row.decision === 'error')
    return { words: 'not sent: gateway error', tone: 'red', detail: row.reason ?? null };
  if (row.ruleId === TOOLSET_RULE)
    return { words: 'refused: not in the toolset', tone: 'slate', detail: row.reason ?? null };
  return { words: 'refused', tone: row.decision === 'hide' ? 'slate' : 'red', detail: row.reason ?? null };
}

/** The gateway's reason on a call it held and then handed back to the agent (the approval went on). */
const HAND_BACK_REASON = 'Waiting for approval';

function heldOutcome(row: OutcomeInput): CallOutcome {
  const note = row.approvalNote ? `note: ${row.approvalNote}` : null;
  const handedBack = row.reason?.startsWith(HAND_BACK_REASON) === true;
  // Not handed back and not sent although approved: refused for another reason (the policy changed, the approval was used).
  const approvedButRefused =
    !handedBack && (row.approvalStatus === 'approved' || row.approvalStatus === 'consumed');
  switch (approvedButRefused ? 'refused' : row.approvalStatus) {
    case 'pending':
      return {
        words: 'waiting for approval',
        tone: 'violet',
        detail: 'a person has been asked; the agent retries once approved',
      };
    case 'approved':
    case 'consumed':
      return {
        words: 'handed back; approved later',
        tone: 'violet',
        detail: note ?? 'the agent was told to call again once approved',
      };
    case 'denied':
      return handedBack
        ? { words: 'handed back; denied later', tone: 'red', detail: note }
        : { words: 'refused: denied by a person', tone: 'red', detail: note };
    case 'expired':
      return row.approvalNote === 'cancelled by the client'
        ? { words: 'cancelled by the client', tone: 'slate', detail: 'while it waited for approval' }
        : { words: 'expired', tone: 'slate', detail: 'no one approved it in time' };
    default:
      return { words: 'refused', tone: 'red', detail: row.reason ?? null };
  }
}

export interface ApprovalOutcomeInput {
  status: string;
  note: string | null;
  /** The audit row of the call the approval let through, once it ran (null: none yet). */
  run: { upstreamOutcome: string; upstreamError: string | null; createdAt: Date } | null;
}

/** What became of an approval, for the approvals history: a consumed approval says how its call went. */
export function approvalOutcome(approval: ApprovalOutcomeInput, now = Date.now()): CallOutcome {
  switch (approval.status) {
    case 'pending':
      return { words: 'waiting', tone: 'violet', detail: null };
    case 'approved':
      return {
        words: 'approved, not used yet',
        tone: 'sky',
        detail: 'the agent may call once with the same arguments',
      };
    case 'denied':
      return { words: 'denied', tone: 'red', detail: null };
    case 'expired':
      return approval.note === 'cancelled by the client'
        ? { words: 'cancelled by the client', tone: 'slate', detail: 'while it waited for approval' }
        : {
            words: 'expired',
            tone: 'slate',
            detail: approval.note === 'timed out' ? 'no one decided in time' : null,
          };
    case 'consumed': {
      if (!approval.run) return { words: 'approved and used', tone: 'sky', detail: null };
      const run = callOutcome({ decision: 'require_approval', ...approval.run }, now);
      return { ...run, words: `approved; ${run.words}` };
    }
    default:
      return { words: approval.status, tone: 'slate', detail: null };
  }
}
