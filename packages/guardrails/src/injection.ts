// A heuristic for instructions aimed at the model hidden in tool text (descriptions, results): the
// phrases prompt-injection write-ups keep finding. It flags; blocking is the policy's choice.
import { DETECTOR_KEYWORDS } from './keyword-index.ts';
import type { Span } from './span.ts';

const PHRASES = [
  String.raw`\b(?:ignore|disregard|forget|override)\s{1,4}(?:all\s{1,4}|any\s{1,4}|the\s{1,4})?(?:previous|prior|above|earlier|preceding|your|system)\s{1,4}(?:instructions?|prompts?|rules|directions|guidelines)`,
  String.raw`\byou\s{1,4}are\s{1,4}now\s{1,4}(?:a|an|in|the|DAN)\b`,
  String.raw`\b(?:new|updated|real)\s{1,4}(?:system\s{1,4})?instructions?\s{0,4}:`,
  String.raw`\bdo\s{1,4}not\s{1,4}(?:tell|inform|mention\s{1,4}(?:this\s{1,4})?to|reveal\s{1,4}(?:this\s{1,4})?to)\s{1,4}the\s{1,4}user`,
  String.raw`\b(?:reveal|print|output|show|repeat)\s{1,4}(?:your|the)\s{1,4}(?:system\s{1,4}prompt|hidden\s{1,4}instructions)`,
  String.raw`<\s{0,2}/?\s{0,2}(?:system|important|instructions?)\s{0,2}>`,
  String.raw`\[\s{0,2}(?:system|INST)\s{0,2}\]`,
  String.raw`\bbefore\s{1,4}using\s{1,4}this\s{1,4}tool\s{1,4}(?:you\s{1,4}must\s{1,4})?(?:read|send|call|include)\b`,
];
const INJECTION = new RegExp(PHRASES.join('|'), 'gi');
/**
 * Every phrase above holds one of these words (compared without case, as the phrases are), so the
 * heuristic runs only on text that holds one.
 */
export const INJECTION_KEYWORDS: readonly string[] = [
  ...['ignore', 'disregard', 'forget', 'override'], // ignore … previous instructions
  'now', // you are now …
  'inst', // new instructions:, hidden instructions, <instructions>, [INST]
  ...['tell', 'inform', 'mention', 'reveal'], // do not tell … the user
  'prompt', // reveal your system prompt
  ...['system', 'important'], // <system>, <important>, [system]
  'before', // before using this tool …
];
const INJECTION_KEYWORD = DETECTOR_KEYWORDS.add(INJECTION_KEYWORDS);

/** `found` is DETECTOR_KEYWORDS.search(text) when the caller has it already. */
export function findInjections(text: string, out: Span[], found = DETECTOR_KEYWORDS.search(text)): void {
  if (found[INJECTION_KEYWORD] !== 1) return;
  for (const match of text.matchAll(INJECTION)) {
    out.push({ detector: 'injection', start: match.index, end: match.index + match[0].length });
  }
}

/** True when a tool's description (or other text shown to the model) reads like an injection. */
export function looksInjected(text: string): boolean {
  INJECTION.lastIndex = 0;
  const found = INJECTION.test(text);
  INJECTION.lastIndex = 0;
  return found;
}
