/** Why an ISIN (ISO 6166) is not valid, or null: two letters, nine alphanumerics, a Luhn check digit. */
export function isinProblem(isin: string): string | null {
  if (!/^[A-Z]{2}[A-Z0-9]{9}\d$/.test(isin)) return 'must be 12 characters: country, 9 alphanumerics, check digit';
  const digits = [...isin.slice(0, 11)].map((ch) => (ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch)).join('');
  let sum = 0;
  // Luhn from the rightmost digit of the expansion, which is doubled (the check digit is appended after).
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return check === Number(isin[11]) ? null : 'has a wrong check digit';
}

/** The check digit that completes the first 11 characters of an ISIN. */
export function isinCheckDigit(first11: string): string {
  for (let d = 0; d <= 9; d++) if (isinProblem(`${first11}${d}`) === null) return String(d);
  throw new Error(`no check digit completes ${first11}`);
}
