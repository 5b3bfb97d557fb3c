// Secrets: secretlint's recommended preset (@secretlint/secretlint-rule-preset-recommend), a
// maintained rule set (cloud keys, SaaS tokens, private keys, connection strings with passwords,
// basic auth in URLs), used as data. Each rule's `file` handler is a synchronous regex scan, so the
// handlers are built once and driven per string with a minimal context (secretlint's own core is
// promise-based per source and builds every rule per call, which costs more than our budget).
import { rules } from '@secretlint/secretlint-rule-preset-recommend';
import type { Span } from './span.ts';

interface SecretlintSource {
  content: string;
  filePath: string;
  ext: string;
  contentType: 'text';
}
type FileHandler = (source: SecretlintSource) => unknown;

/** Rules that are not scanners of text (the secretlint-disable comment filter). */
const SKIPPED_RULES = new Set(['@secretlint/secretlint-rule-filter-comments']);
/** The AWS rule scans access key ids (AKIA…) only when asked to. */
const RULE_OPTIONS: Record<string, Record<string, unknown>> = {
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

let sink: Span[] = [];
const handlers: FileHandler[] = [];
for (const rule of rules as unknown as Array<{
  meta: { id: string };
  create: (context: unknown, options: unknown) => { file?: FileHandler };
}>) {
  if (SKIPPED_RULES.has(rule.meta.id)) continue;
  const context = {
    options: RULE_OPTIONS[rule.meta.id] ?? {},
    // Messages would carry the matched value: they are never built.
    createTranslator: () => () => '',
    report: (descriptor: { range: readonly [number, number] }) => {
      sink.push({ detector: 'secrets', start: descriptor.range[0], end: descriptor.range[1] });
    },
    ignore: () => undefined,
  };
  const file = rule.create(context, RULE_OPTIONS[rule.meta.id] ?? {}).file;
  if (file) handlers.push(file);
}

/** How many of secretlint's recommended rules run (for the docs and a test). */
export const SECRET_RULE_COUNT = handlers.length;

// JWTs are not in the preset: a three-part base64url token whose header decodes to JSON with "alg".
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g;

function isJwtHeader(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    return typeof decoded === 'object' && decoded !== null && 'alg' in decoded;
  } catch {
    return false;
  }
}

export function findSecrets(text: string, out: Span[]): void {
  sink = out;
  const source: SecretlintSource = { content: text, filePath: '', ext: '', contentType: 'text' };
  try {
    for (const handler of handlers) handler(source);
  } finally {
    sink = [];
  }
  if (text.includes('eyJ')) {
    for (const match of text.matchAll(JWT)) {
      if (isJwtHeader(match[0]))
        out.push({ detector: 'secrets', start: match.index, end: match.index + match[0].length });
    }
  }
}
