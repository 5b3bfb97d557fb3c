// A heuristic for instructions aimed at the model hidden in tool text (descriptions, results): the
// phrases prompt-injection write-ups keep finding. It flags; blocking is the policy's choice.
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

export function findInjections(text: string, out: Span[]): void {
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
