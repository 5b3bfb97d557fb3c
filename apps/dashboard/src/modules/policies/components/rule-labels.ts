// The labels and ids the policy form view shows: the values themselves come from packages/policy.
import { RULE_ACTIONS, type CounterScope, type RuleAction } from '@portcullis/policy/types';

/** The id prefix of a rule's form controls (the rule key made safe for an id). */
export const ruleId = (key: string) => `rule-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

export const CLASS_KEYS = [
  { key: '@read', label: 'All read tools (@read)' },
  { key: '@write', label: 'All write tools (@write)' },
  { key: '@destructive', label: 'All destructive tools (@destructive)' },
  { key: '*', label: 'Every tool (*)' },
];
export const ACTION_LABELS: Record<RuleAction, string> = {
  allow: 'Allow',
  deny: 'Deny',
  hide: 'Hide',
  require_approval: 'Require approval',
};
export const ACTIONS = RULE_ACTIONS.map((value) => ({ value, label: ACTION_LABELS[value] }));
export const SCOPE_LABELS: Record<CounterScope, string> = {
  grant: 'grant',
  session: 'session',
  server: 'server',
  org: 'organization',
  upstream: 'upstream account',
};
