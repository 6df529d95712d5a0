/**
 * Differential test against `hcl-parser` (HashiCorp's HCL1 parser compiled to JS): for every
 * corpus file and snippet, what HCL1 decodes must equal what HCL1's decoder would make of our AST.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HclSyntaxError, parseHcl, parseHclOrJson } from '../../src/hcl/parse.js';
import { hcl1Decode, oracleParse } from './hcl1-emulation.js';

const corpusDir = join(import.meta.dirname, 'corpus');
const corpus = readdirSync(corpusDir).sort();

function ours(text: string): unknown {
  return hcl1Decode(parseHclOrJson(text, 'input'), /^\s*\{/.test(text));
}

describe('corpus agrees with hashicorp/hcl v1', () => {
  it('has at least 40 real-world files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus)('%s', (name) => {
    const text = readFileSync(join(corpusDir, name), 'utf8');
    const oracle = oracleParse(text);
    expect(oracle.ok, 'the oracle accepts the corpus file').toBe(true);
    if (!oracle.ok) return;
    expect(ours(text)).toEqual(oracle.value);
  });
});

const acceptedSnippets: string[] = [
  'a = 1, b = 2',
  'a = 1 b = 2',
  'x { a = 1, b = 2 }',
  'x { a = 1 b = "2" c = true }',
  'a = 010\nb = 0x1F\nc = -0x10\nd = 1.\ne = .5\nf = 1.e5\ng = -0\nh = 0.0',
  'a = [,1,,2,]',
  'a = [[1] [2]]',
  'a = [{}, {x = 1}]',
  'a = {}\nb {}\nc = []',
  'a = {b = 1}\na = {c = 2}',
  'a { b = 1 } a { c = 2 }',
  'a "b" { x = 1 }\na "c" { y = 2 }\na "b" { z = 3 }',
  'a "b" "c" "d" { e = 1 }',
  '"quoted" "labels" { v = "x" }',
  'path "a" {} PATH "b" {}',
  'a = "${"x"}"\nb = "${x\n}"',
  'a = "\\x41\\101\\u00e9\\U0001F600"\nb = "\\xe9"\nc = "\\ud800"',
  'c = <<EOF\nhello\n  EOF\n',
  'c = <<EOF\nhello\nEOF\r\r\n',
  'c = <<EOF\r\nhello\r\nEOF\r\n',
  'd = <<-EOT\n  x\n y\n  EOT\n',
  'd = <<-EOT\n  x\n y\n EOT\n',
  'd = <<-EOT\n  x\n\n  EOT\n',
  'd = <<-EOT\n EOT\n',
  'e = <<EOF\nEOF\n',
  'x = 1\r\ny = "a\rb"',
  'é = 1\n日本 = "語"',
  'a-b.c_d = 1\n_x = 2',
  'a = 1 // c\nb = 2 # c\n/* c */ c = 3',
  '',
  '   \n\t\n',
  '{"a": null, "b": [1, 2.5, -3e2], "c": {"d": {"e": true}}}',
  '{"a": {"b": 1, "c": {"d": 2}}}',
  '{"a": [{"b": {"c": 1}}, {"b": {"c": 2}}]}',
  '{"a": [], "b": {}, "c": [{}]}',
  '{"a": [1, 2,], "b": {"c": 1,},}',
  '{"a": {"b": [{"c": 1}]}}',
  '{"x": "\\u00e9\\n\\"q\\""}',
  '{}',
];

describe('snippets agree with hashicorp/hcl v1', () => {
  it.each(acceptedSnippets.map((s) => [JSON.stringify(s), s]))('%s', (_label, text) => {
    const oracle = oracleParse(text);
    expect(oracle.ok, 'the oracle accepts the snippet').toBe(true);
    if (!oracle.ok) return;
    expect(ours(text)).toEqual(oracle.value);
  });
});

const rejectedSnippets: string[] = [
  'a',
  'a "b"',
  '= 1',
  'a "b" = 1',
  'a = b',
  'a = [1 2]',
  'a = ["a" "b"]',
  'a = [{} {}]',
  'x {',
  'x { a = 1',
  'a = [1,',
  'a = "x',
  'a = "x\n"',
  'a = "\\q"',
  "a = \"it\\'s\"",
  'a = "\\400"',
  'a = "\\U00110000"',
  'a = "\\u12"',
  'a = <<EOF\nx\n',
  'd = <<-EOT\nx\nEOT\n',
  'a = <<EOF x\nEOF\n',
  'a = <<\nx\n',
  'a = < b',
  '/* open',
  'a = 1 / 2',
  'a = 08',
  'a = 0x',
  'a = 1e',
  'a = 1h',
  'a = -',
  'a = +1',
  'true = 1',
  '1 = 2',
  'a = 1,, b = 2',
  '}',
  'a = 1 = 2',
  'a = 10000000000000000000000',
  'a = *',
  'a\0 = 1',
  '{"a" 1}',
  '{"a": 01}',
  '{"a": tru}',
  '{"a": "x\ny"}',
];

describe('what hashicorp/hcl v1 rejects, we reject with an HclSyntaxError', () => {
  it.each(rejectedSnippets.map((s) => [JSON.stringify(s), s]))('%s', (_label, text) => {
    expect(oracleParse(text).ok, 'the oracle rejects the snippet').toBe(false);
    expect(() => parseHclOrJson(text)).toThrow(HclSyntaxError);
  });
});

describe('deliberate differences from hashicorp/hcl v1 (we are stricter or friendlier)', () => {
  it('rejects a dangling `a =` at end of file (HCL1 silently drops the item)', () => {
    expect(oracleParse('b = 1\na =').ok).toBe(true);
    expect(() => parseHcl('b = 1\na =')).toThrow(/expected a value/);
  });

  it('rejects an object closed after a broken item (HCL1 swallows the error)', () => {
    expect(oracleParse('x { a = } }').ok).toBe(true);
    expect(() => parseHcl('x { a = } }')).toThrow(HclSyntaxError);
  });

  it('accepts a heredoc terminator at end of file without a newline', () => {
    expect(oracleParse('c = <<EOF\nhello\nEOF').ok).toBe(false);
    expect(ours('c = <<EOF\nhello\nEOF')).toEqual(ours('c = <<EOF\nhello\nEOF\n'));
  });

  it('rejects an unclosed JSON document and trailing garbage (HCL1 ignores both)', () => {
    for (const text of ['{', '{"a": 1} x', '{"a": 1} {"b": 2}']) {
      expect(oracleParse(text).ok).toBe(true);
      expect(() => parseHclOrJson(text)).toThrow(HclSyntaxError);
    }
  });

  it('accepts the JSON escape \\/ (HCL1 uses Go string unquoting for JSON)', () => {
    expect(oracleParse('{"a": "\\/"}').ok).toBe(false);
    expect(ours('{"a": "\\/"}')).toEqual({ a: '/' });
  });
});
