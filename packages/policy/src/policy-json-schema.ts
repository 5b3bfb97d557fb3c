// JSON Schema (draft-07, the dialect editors support best) of policy documents v1, for
// completion and squiggles in editors. validatePolicy is the authority: it also compiles regexes
// and rejects slow patterns, which a schema cannot express.

import {
  COUNTER_NAME_PATTERN,
  MAX_APPROVAL_TIMEOUT_SECONDS,
  MAX_ARG_PATH_LENGTH,
  MAX_CONDITIONS_PER_RULE,
  MAX_LIMITS_PER_RULE,
  MAX_LIMIT_MAX,
  MAX_LIST_OPERAND_ITEMS,
  MAX_PREDICATES_PER_CONDITION,
  MAX_REASON_LENGTH,
  MAX_TOOL_KEY_LENGTH,
  MAX_WINDOW_SECONDS,
  MIN_WINDOW_SECONDS,
} from './bounds.ts';
import {
  BUILT_IN_DETECTORS,
  GUARD_ACTIONS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS,
  PATTERN_NAME,
} from './guards.ts';
import { MAX_REGEX_LENGTH } from './regex.ts';
import { CONDITION_ACTIONS, COUNTER_SCOPES, RULE_ACTIONS, WINDOW_NAMES } from './types.ts';

const reason = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_REASON_LENGTH,
  pattern: '\\S',
  description: 'Shown to the agent when the call is not allowed.',
};

export const policyJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://portcullis.dev/schemas/policy-v1.json',
  title: 'Portcullis policy document v1',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'default'],
  properties: {
    version: { const: '1' },
    default: { enum: ['allow', 'deny'], description: 'Effect for tools no rule covers.' },
    tools: {
      type: 'object',
      description:
        'Rules keyed by exact tool name, risk class (@read, @write, @destructive) or * (all tools). Precedence: exact > class > * > default.',
      propertyNames: {
        minLength: 1,
        maxLength: MAX_TOOL_KEY_LENGTH,
        not: { pattern: '^@(?!(read|write|destructive)$)' },
      },
      additionalProperties: { $ref: '#/definitions/rule' },
    },
    approval: { $ref: '#/definitions/approval' },
    audit: {
      type: 'object',
      additionalProperties: false,
      required: ['arguments'],
      properties: {
        arguments: { enum: ['redacted', 'full'], description: 'How the gateway stores call arguments.' },
      },
    },
    resources: {
      $ref: '#/definitions/feature',
      description:
        'resources/list, read, templates, subscribe and their completions. Absent: the policy default.',
    },
    prompts: {
      $ref: '#/definitions/feature',
      description: 'prompts/list, prompts/get and their completions. Absent: the policy default.',
    },
    guards: { $ref: '#/definitions/guards' },
    patterns: {
      type: 'object',
      maxProperties: MAX_PATTERNS,
      description: 'Tenant patterns (RE2 syntax) by name; a guard names one as pattern:<name>.',
      propertyNames: { pattern: PATTERN_NAME.source },
      additionalProperties: { type: 'string', minLength: 1, maxLength: MAX_PATTERN_LENGTH },
    },
  },
  definitions: {
    guardActions: {
      type: 'object',
      description: `Detector (${BUILT_IN_DETECTORS.join(', ')} or pattern:<name>) → action.`,
      propertyNames: {
        anyOf: [{ enum: [...BUILT_IN_DETECTORS] }, { pattern: '^pattern:[a-z][a-z0-9_]{0,39}$' }],
      },
      additionalProperties: { enum: [...GUARD_ACTIONS] },
    },
    guards: {
      type: 'object',
      additionalProperties: false,
      description: 'Content guards: block, redact ([REDACTED:<detector>]) or flag what a detector finds.',
      properties: {
        arguments: { $ref: '#/definitions/guardActions' },
        results: { $ref: '#/definitions/guardActions' },
      },
    },
    feature: {
      type: 'object',
      additionalProperties: false,
      required: ['action'],
      properties: { action: { enum: ['allow', 'deny'] }, reason },
    },
    rule: {
      type: 'object',
      additionalProperties: false,
      properties: {
        action: { enum: [...RULE_ACTIONS], default: 'allow', description: 'Used when no condition matches.' },
        reason,
        rate_limit: { $ref: '#/definitions/limit' },
        limits: { type: 'array', maxItems: MAX_LIMITS_PER_RULE, items: { $ref: '#/definitions/limit' } },
        conditions: {
          type: 'array',
          maxItems: MAX_CONDITIONS_PER_RULE,
          items: { $ref: '#/definitions/condition' },
        },
        approval: { $ref: '#/definitions/approval' },
        guards: { $ref: '#/definitions/guards' },
      },
    },
    limit: {
      type: 'object',
      additionalProperties: false,
      required: ['window', 'max'],
      properties: {
        counter: { type: 'string', pattern: COUNTER_NAME_PATTERN.source },
        window: {
          oneOf: [
            { enum: [...WINDOW_NAMES] },
            {
              type: 'number',
              minimum: MIN_WINDOW_SECONDS,
              maximum: MAX_WINDOW_SECONDS,
              description: 'Seconds.',
            },
          ],
        },
        max: { type: 'integer', minimum: 1, maximum: MAX_LIMIT_MAX },
        scope: { enum: [...COUNTER_SCOPES], default: 'grant' },
      },
    },
    approval: {
      type: 'object',
      additionalProperties: false,
      required: ['timeout'],
      properties: {
        timeout: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_APPROVAL_TIMEOUT_SECONDS,
          description: 'Seconds.',
        },
      },
    },
    condition: {
      type: 'object',
      additionalProperties: false,
      required: ['when', 'action'],
      properties: {
        when: {
          oneOf: [
            { $ref: '#/definitions/predicate' },
            {
              type: 'array',
              minItems: 1,
              maxItems: MAX_PREDICATES_PER_CONDITION,
              items: { $ref: '#/definitions/predicate' },
            },
          ],
        },
        action: { enum: [...CONDITION_ACTIONS] },
        reason,
      },
    },
    predicate: {
      type: 'object',
      additionalProperties: false,
      required: ['arg'],
      minProperties: 2,
      properties: {
        arg: { type: 'string', minLength: 1, maxLength: MAX_ARG_PATH_LENGTH, pattern: '^[^.]+(\\.[^.]+)*$' },
        equals: {},
        not_equals: {},
        in: { type: 'array', minItems: 1, maxItems: MAX_LIST_OPERAND_ITEMS },
        not_in: { type: 'array', minItems: 1, maxItems: MAX_LIST_OPERAND_ITEMS },
        regex: { type: 'string', minLength: 1, maxLength: MAX_REGEX_LENGTH },
        lt: { type: 'number' },
        lte: { type: 'number' },
        gt: { type: 'number' },
        gte: { type: 'number' },
        exists: { type: 'boolean' },
      },
    },
  },
} as const;
