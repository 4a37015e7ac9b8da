import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FONTS } from './helvetica.ts';
import { renderStatementPdf, toWinAnsi, wrap } from './pdf.ts';

function widthOf(text: string, size: number): number {
  return ([...text].reduce((sum, ch) => sum + (FONTS.Helvetica.widths[ch.charCodeAt(0)] ?? 0), 0) * size) / 1000;
}

describe('wrap', () => {
  it('keeps every character, in order, and no line wider than the column unless it is one character', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9äöüß.,/-]{1,40}$/);
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 20, max: 400 }),
        (words, width) => {
          const text = words.join(' ');
          const lines = wrap(text, 'Helvetica', 9, width);
          expect(lines.join('').replaceAll(' ', '')).toBe(text.replaceAll(' ', ''));
          for (const line of lines) {
            if (line.length > 1) expect(widthOf(line, 9)).toBeLessThanOrEqual(width + 1e-9);
          }
        },
      ),
    );
  });

  it('breaks at spaces, and inside a word only where the word alone is too wide', () => {
    expect(wrap('Bestand am 31.12.2025 / Units held on 31 December 2025', 'Helvetica', 9, 160)).toEqual([
      'Bestand am 31.12.2025 / Units held on',
      '31 December 2025',
    ]);
    const hash = `0x${'ab'.repeat(32)}`;
    expect(wrap(hash, 'Helvetica', 10, 1000)).toEqual([hash]);
    const broken = wrap(hash, 'Helvetica', 10, 100);
    expect(broken.length).toBeGreaterThan(1);
    expect(broken.join('')).toBe(hash);
  });
});

describe('renderStatementPdf', () => {
  const text = (rows: number) => ({
    title: 'Registerauszug / Registry statement',
    subtitle: 'Kontor Registerführung',
    sections: [
      {
        heading: 'Wertpapier / Security',
        rows: Array.from({ length: rows }, (_, i) => [`Zeile ${i}`, `Wert € ${i}`] as [string, string]),
      },
    ],
    footer: ['Fußzeile'],
  });

  it('writes a cross-reference table whose offsets point at their objects', () => {
    const pdf = renderStatementPdf(text(5), { createdAt: '2026-01-02T03:04:05Z', subject: 'Ausgabe' });
    const raw = pdf.toString('latin1');
    expect(raw.startsWith('%PDF-1.4\n')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(raw)![1]);
    expect(raw.slice(startxref, startxref + 4)).toBe('xref');
    const entries = [...raw.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(entries.length).toBeGreaterThanOrEqual(7);
    for (const [i, offset] of entries.entries()) {
      expect(raw.slice(offset, offset + 12)).toMatch(new RegExp(`^${i + 1} 0 obj\\n`));
    }
    expect(raw).toContain('/CreationDate (D:20260102030405Z)');
  });

  it('continues on a new page when the rows do not fit on one', () => {
    const one = renderStatementPdf(text(5), { createdAt: '2026-01-02T03:04:05Z', subject: 's' }).toString('latin1');
    const many = renderStatementPdf(text(120), { createdAt: '2026-01-02T03:04:05Z', subject: 's' }).toString('latin1');
    expect(/\/Count (\d+)/.exec(one)![1]).toBe('1');
    expect(Number(/\/Count (\d+)/.exec(many)![1])).toBeGreaterThan(1);
  });

  it('writes only WinAnsi: other letters get their stand-in', () => {
    expect(toWinAnsi('Łódź Ștefan €')).toBe('Lódz Stefan €');
  });
});
