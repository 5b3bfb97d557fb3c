// Personal data detectors. Each pattern is bounded (no nested or unbounded repetition), and each
// candidate is validated where a checksum or a structure exists, so near misses are not findings.
import type { Span } from './span.ts';

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g;
// International (+ and 8–15 digits) or North American ((555) 123-4567, 555-123-4567) numbers.
const PHONE =
  /(?<![\w+])(?:\+[1-9][0-9 .-]{6,18}[0-9]|\(?[2-9][0-9]{2}\)?[ .-][2-9][0-9]{2}[ .-][0-9]{4})(?![\w-])/g;
const CARD = /(?<![\d-])[0-9](?:[ -]?[0-9]){12,18}(?![\d-])/g;
const IBAN = /\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b/g;
// US social security numbers, written with hyphens (a bare 9-digit number is too often something else).
const SSN = /(?<![\d-])([0-9]{3})-([0-9]{2})-([0-9]{4})(?![\d-])/g;

function digitsOf(text: string): string {
  return text.replace(/[^0-9]/g, '');
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay). */
function hasCardPrefix(digits: string): boolean {
  return /^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6|35)/.test(digits);
}

/** ISO 13616: move the first four characters to the end, letters to numbers, mod 97 must be 1. */
export function ibanValid(compact: string): boolean {
  if (compact.length < 15 || compact.length > 34) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function push(out: Span[], detector: string, match: RegExpExecArray | RegExpMatchArray): void {
  const start = match.index ?? 0;
  out.push({ detector, start, end: start + match[0].length });
}

export function findEmails(text: string, out: Span[]): void {
  if (!text.includes('@')) return;
  for (const match of text.matchAll(EMAIL)) push(out, 'email', match);
}

export function findPhones(text: string, out: Span[]): void {
  for (const match of text.matchAll(PHONE)) {
    const digits = digitsOf(match[0]).length;
    if (digits >= 10 && digits <= 15) push(out, 'phone', match);
  }
}

export function findCards(text: string, out: Span[]): void {
  for (const match of text.matchAll(CARD)) {
    const digits = digitsOf(match[0]);
    if (digits.length >= 13 && digits.length <= 19 && hasCardPrefix(digits) && luhnValid(digits))
      push(out, 'payment_card', match);
  }
}

export function findIbans(text: string, out: Span[]): void {
  for (const match of text.matchAll(IBAN)) {
    if (ibanValid(match[0].replace(/ /g, ''))) push(out, 'iban', match);
  }
}

export function findNationalIds(text: string, out: Span[]): void {
  for (const match of text.matchAll(SSN)) {
    if (ssnValid(match[1]!, match[2]!, match[3]!)) push(out, 'national_id', match);
  }
}
