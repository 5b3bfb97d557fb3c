// The parameters the gateway reads to decide a request, checked before anything else: a policy
// decision keys on them, so a request whose name is not a string (or whose arguments are not an
// object) is refused with -32602 here rather than coerced. Everything else in params is the
// upstream's to check and passes through untouched.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Params } from '@portcullis/upstream/upstream-connection';
import { JsonRpcError } from '../errors.ts';

const LEVELS = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

const isObject = (value: unknown): value is Params =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function invalid(method: string, what: string): never {
  throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${what}`);
}

/** Longest method name relayed (methods are stored in the audit log). */
const MAX_METHOD_LENGTH = 200;

/**
 * What every agent request must be before anything reads it: a method name of bounded length that
 * is not a notification's. (How deep its params nest is bounded where the body is read, before it
 * is parsed: http/json-rpc.ts, nestedTooDeep.)
 */
export function checkRequest(method: string): void {
  if (method.length > MAX_METHOD_LENGTH)
    throw new JsonRpcError(
      ErrorCode.MethodNotFound,
      `Method not found: method names are at most ${MAX_METHOD_LENGTH} characters`,
    );
  if (method.startsWith('notifications/'))
    throw new JsonRpcError(
      ErrorCode.InvalidRequest,
      `Invalid Request: ${method} is a notification; send it without an id`,
    );
}

export function checkParams(method: string, params: Params): void {
  switch (method) {
    case 'tools/list':
    case 'resources/list':
    case 'resources/templates/list':
    case 'prompts/list':
      if (params.cursor !== undefined && !isString(params.cursor)) invalid(method, 'cursor must be a string');
      return;
    case 'tools/call':
      if (!isString(params.name)) invalid(method, 'name must be a string');
      if (params.arguments !== undefined && !isObject(params.arguments))
        invalid(method, 'arguments must be an object');
      // A task-augmented call would be audited when the task is created, and its result fetched
      // and cancelled through tasks/* outside policy: not relayed.
      if (params.task !== undefined)
        invalid(method, 'task-augmented tool calls are not supported through the gateway');
      return;
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      if (!isString(params.uri)) invalid(method, 'uri must be a string');
      return;
    case 'prompts/get':
      if (!isString(params.name)) invalid(method, 'name must be a string');
      if (
        params.arguments !== undefined &&
        (!isObject(params.arguments) || !Object.values(params.arguments).every(isString))
      ) {
        invalid(method, 'arguments must be an object of strings');
      }
      return;
    case 'completion/complete': {
      const ref = params.ref;
      if (
        !isObject(ref) ||
        !(
          (ref.type === 'ref/prompt' && isString(ref.name)) ||
          (ref.type === 'ref/resource' && isString(ref.uri))
        )
      ) {
        invalid(method, 'ref must be a ref/prompt with a name or a ref/resource with a uri');
      }
      if (!isObject(params.argument) || !isString(params.argument.name) || !isString(params.argument.value))
        invalid(method, 'argument must have a name and a value');
      return;
    }
    case 'logging/setLevel':
      if (!isString(params.level) || !LEVELS.has(params.level))
        invalid(method, `level must be one of ${[...LEVELS].join(', ')}`);
      return;
  }
}
