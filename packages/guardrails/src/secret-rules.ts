// Secrets: secretlint's recommended preset (@secretlint/secretlint-rule-preset-recommend), a
// maintained rule set (cloud keys, SaaS tokens, private keys, connection strings with passwords,
// basic auth in URLs), used as data. Each rule's `file` handler is a synchronous regex scan, so the
// handlers are built once and driven per string with a minimal context (secretlint's own core is
// promise-based per source and builds every rule per call, which costs more than our budget).
// A rule runs only on text that holds one of its keywords (gitleaks' `keywords`, found in one pass
// by a KeywordIndex): most text holds none, and the rules' regexes are what costs.
import { rules } from '@secretlint/secretlint-rule-preset-recommend';
import { DETECTOR_KEYWORDS } from './keyword-index.ts';
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

/**
 * Per rule, literals of which every match of its regexes holds one, read off the rules' sources in
 * secretlint 13.0.7; compared without case, so rules with an `i` regex are covered. A rule of a
 * newer preset that is not listed here runs on every text (and a test fails until it is listed).
 */
export const SECRET_RULE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  // Key ids (A3T…, AKIA…), account ids (`account…: 1234-5678-9012`), secret keys (`secret_access_key: …`).
  '@secretlint/secretlint-rule-aws': [
    ...['a3t', 'akia', 'agpa', 'aida', 'aroa', 'aipa', 'anpa', 'anva', 'asia'],
    'account',
    ...['secretaccesskey', 'secret_accesskey', 'secretaccess_key', 'secret_access_key'],
  ],
  // Only service-account JSON files (ext .json, "private_key_id" and "private_key") or .p12 files.
  '@secretlint/secretlint-rule-gcp': ['private_key'],
  '@secretlint/secretlint-rule-privatekey': ['private key'],
  // x-oauth-basic URLs, npm_ tokens, and (.npmrc only) _authToken=.
  '@secretlint/secretlint-rule-npm': ['x-oauth-basic', 'npm_', '_authtoken='],
  '@secretlint/secretlint-rule-basicauth': ['://'],
  '@secretlint/secretlint-rule-slack': [
    ...['xoxb-', 'xoxp-', 'xapp-', 'xoxa-', 'xoxo-', 'xoxr-'],
    'hooks.slack.com/services/',
  ],
  '@secretlint/secretlint-rule-sendgrid': ['sg.'],
  '@secretlint/secretlint-rule-shopify': ['shppa_', 'shpca_', 'shpat_', 'shpss_'],
  '@secretlint/secretlint-rule-stripe': ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
  '@secretlint/secretlint-rule-github': ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  '@secretlint/secretlint-rule-gitlab': ['glpat-'],
  '@secretlint/secretlint-rule-grafana': ['glc_', 'glsa_'],
  // Both of its forms (sk-proj-…, sk-…) carry the marker T3BlbkFJ.
  '@secretlint/secretlint-rule-openai': ['t3blbkfj'],
  '@secretlint/secretlint-rule-anthropic': ['sk-ant-api0'],
  '@secretlint/secretlint-rule-groq': ['gsk_'],
  '@secretlint/secretlint-rule-huggingface': ['hf_'],
  '@secretlint/secretlint-rule-linear': ['lin_api_'],
  '@secretlint/secretlint-rule-notion': ['ntn_'],
  '@secretlint/secretlint-rule-1password': ['ops_ey'],
  '@secretlint/secretlint-rule-database-connection-string': [
    'mongodb://',
    'mongodb+srv://',
    'mysql://',
    'mysqlx://',
    'postgres://',
    'postgresql://',
  ],
  '@secretlint/secretlint-rule-hashicorp-vault': ['hvs.', 'hvb.', 'hvr.'],
  '@secretlint/secretlint-rule-vercel': ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
  '@secretlint/secretlint-rule-databricks': ['dapi'],
  '@secretlint/secretlint-rule-docker': ['dckr_pat_'],
  '@secretlint/secretlint-rule-figma': ['figd_'],
  '@secretlint/secretlint-rule-cloudflare': ['cfk_', 'cfut_', 'cfat_'],
  '@secretlint/secretlint-rule-tailscale': ['tskey-'],
};

/** Rules that report a URL only with a password in it (`user:password@`): they need an `@` too. */
const NEEDS_AT_SIGN = new Set([
  '@secretlint/secretlint-rule-basicauth',
  '@secretlint/secretlint-rule-database-connection-string',
]);
const AT_SIGN = DETECTOR_KEYWORDS.add(['@']);

/** The groups of DETECTOR_KEYWORDS a rule needs found, all of them (none: it always runs). */
function keywordGroups(id: string): number[] {
  const keywords = SECRET_RULE_KEYWORDS[id];
  if (!keywords) return [];
  return [DETECTOR_KEYWORDS.add(keywords), ...(NEEDS_AT_SIGN.has(id) ? [AT_SIGN] : [])];
}

let sink: Span[] = [];
/** The rules that run, in the preset's order, with the keyword groups each needs (all of them). */
const handlers: Array<{ id: string; file: FileHandler; needs: number[] }> = [];
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
  if (file) handlers.push({ id: rule.meta.id, file, needs: keywordGroups(rule.meta.id) });
}

/** How many of secretlint's recommended rules run (for the docs and a test). */
export const SECRET_RULE_COUNT = handlers.length;
/** The ids of the rules that run, in order (for a test). */
export const SECRET_RULE_IDS: readonly string[] = handlers.map((h) => h.id);

// JWTs are not in the preset: a three-part base64url token whose header decodes to JSON with "alg".
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g;

const JWT_KEYWORD = DETECTOR_KEYWORDS.add(['eyj']);

function isJwtHeader(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    return typeof decoded === 'object' && decoded !== null && 'alg' in decoded;
  } catch {
    return false;
  }
}

/**
 * Finds secrets in `text`. `found` is DETECTOR_KEYWORDS.search(text) when the caller has it already
 * (one search serves every detector); a rule runs only when its keywords were found.
 */
export function findSecrets(text: string, out: Span[], found = DETECTOR_KEYWORDS.search(text)): void {
  sink = out;
  const source: SecretlintSource = { content: text, filePath: '', ext: '', contentType: 'text' };
  try {
    for (const handler of handlers) {
      if (handler.needs.every((group) => found[group] === 1)) handler.file(source);
    }
  } finally {
    sink = [];
  }
  if (found[JWT_KEYWORD] === 1) {
    for (const match of text.matchAll(JWT)) {
      if (isJwtHeader(match[0]))
        out.push({ detector: 'secrets', start: match.index, end: match.index + match[0].length });
    }
  }
}
