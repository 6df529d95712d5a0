/**
 * Seeded random mutations of the corpus: the parser must either succeed or throw HclSyntaxError,
 * never anything else and never hang; where both we and hashicorp/hcl v1 accept a mutated HCL
 * file, both must decode it to the same value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HclSyntaxError, parseHclOrJson } from '../../src/hcl/parse.js';
import { blocks, toPlain } from '../../src/hcl/decode.js';
import { hcl1Decode, oracleParse } from './hcl1-emulation.js';

const corpusDir = join(import.meta.dirname, 'corpus');
const corpus = readdirSync(corpusDir)
  .sort()
  .map((f) => readFileSync(join(corpusDir, f), 'utf8'));

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = ['{', '}', '[', ']', '"', '=', ',', '<', '<<EOF\n', 'EOF\n', '<<-X\n', ' X\n', '-', '#', '/', '*', '/*', '\n', '\\', '\\u', '$', '${', ' ', '0', '0x', 'e', '.', 'a', '\r\n', '\t', '1', 'true', '"k" ', ':', '\0', 'é', '😀'];

function mutate(text: string, rand: () => number): string {
  let s = text;
  const n = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rand() * (s.length + 1));
    const frag = FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]!;
    switch (Math.floor(rand() * 5)) {
      case 0:
        s = s.slice(0, i) + s.slice(i + 1);
        break;
      case 1:
        s = s.slice(0, i) + frag + s.slice(i);
        break;
      case 2: {
        const j = Math.floor(rand() * (s.length + 1));
        s = s.slice(0, i) + s.slice(Math.min(i, j), Math.max(i, j)) + s.slice(i);
        break;
      }
      case 3:
        s = s.slice(0, i);
        break;
      default:
        s = s.slice(0, i) + frag + s.slice(i + 1);
    }
  }
  return s;
}

/** Parse and exercise the decoders; returns the AST or the syntax error. */
function attempt(text: string): { ok: true; value: ReturnType<typeof parseHclOrJson> } | { ok: false } {
  try {
    const ast = parseHclOrJson(text, 'fuzz.hcl');
    toPlain(ast);
    return { ok: true, value: ast };
  } catch (e) {
    if (e instanceof HclSyntaxError) {
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.column).toBeGreaterThanOrEqual(1);
      expect(e.message).toMatch(/^fuzz\.hcl:\d+:\d+: /);
      return { ok: false };
    }
    throw new Error(`non-HclSyntaxError for ${JSON.stringify(text).slice(0, 300)}: ${String(e)}`);
  }
}

describe('seeded mutation fuzz', () => {
  it('600 mutated corpus files give a result or an HclSyntaxError', () => {
    const rand = rng(0xc0ffee);
    let accepted = 0;
    for (let k = 0; k < 600; k++) {
      const text = mutate(corpus[Math.floor(rand() * corpus.length)]!, rand);
      const r = attempt(text);
      if (r.ok) {
        accepted++;
        // blocks() may reject shapes, but only with HclSyntaxError.
        try {
          blocks(r.value, 'path', 1);
          blocks(r.value, 'listener', 1);
          blocks(r.value, 'telemetry', 0);
        } catch (e) {
          expect(e).toBeInstanceOf(HclSyntaxError);
        }
      }
    }
    // The mutations must leave some inputs valid, or this test would exercise nothing.
    expect(accepted).toBeGreaterThan(50);
  });

  it('where both we and hashicorp/hcl v1 accept a mutated HCL file, the values agree', () => {
    const rand = rng(20240611);
    let compared = 0;
    for (let k = 0; k < 160; k++) {
      const text = mutate(corpus[Math.floor(rand() * corpus.length)]!, rand);
      if (/^\s*\{/.test(text)) continue; // HCL1's JSON parser accepts much invalid JSON; not comparable
      const r = attempt(text);
      if (!r.ok) continue;
      const oracle = oracleParse(text);
      if (!oracle.ok) continue;
      expect(hcl1Decode(r.value, false), JSON.stringify(text)).toEqual(oracle.value);
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('random garbage and pathological inputs throw HclSyntaxError without hanging', () => {
    const rand = rng(7);
    const alphabet = 'ab{}[]"=,<-#/*\n\\$ 0x.e:é\t';
    for (let k = 0; k < 500; k++) {
      let s = '';
      const len = Math.floor(rand() * 60);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      attempt(s);
    }
    const pathological = [
      '['.repeat(100_000),
      'a = ' + '['.repeat(100_000),
      'a = ' + '{'.repeat(50_000),
      'a ' + '{ b '.repeat(50_000),
      '{"a":'.repeat(100_000),
      'a = "' + 'x'.repeat(200_000),
      'a = <<EOF\n' + 'line\n'.repeat(50_000),
      '/*' + '*'.repeat(100_000),
      'a = "${' + '{'.repeat(10_000),
      '"'.repeat(10_001),
    ];
    for (const s of pathological) expect(attempt(s).ok).toBe(false);
  });
});
