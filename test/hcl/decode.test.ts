import { describe, expect, it } from 'vitest';
import { blocks, toPlain } from '../../src/hcl/decode.js';
import { HclSyntaxError, parseHcl, parseHclOrJson } from '../../src/hcl/parse.js';

const summary = (text: string, name: string, labels: number): Array<[string[], unknown]> =>
  blocks(parseHclOrJson(text), name, labels).map((b) => [b.labels, toPlain(b.body)]);

describe('blocks()', () => {
  const expected: Array<[string[], unknown]> = [
    [['x'], { capabilities: ['read'] }],
    [['y'], { capabilities: ['list'] }],
  ];

  it.each([
    ['labelled blocks', 'path "x" { capabilities = ["read"] }\npath "y" { capabilities = ["list"] }'],
    ['nested blocks', 'path { "x" { capabilities = ["read"] } "y" { capabilities = ["list"] } }'],
    ['assigned objects', 'path = { "x" = { capabilities = ["read"] }, "y" = { capabilities = ["list"] } }'],
    ['a JSON object', '{"path": {"x": {"capabilities": ["read"]}, "y": {"capabilities": ["list"]}}}'],
    ['a JSON list', '{"path": [{"x": {"capabilities": ["read"]}}, {"y": {"capabilities": ["list"]}}]}'],
    ['a JSON list under the label', '{"path": {"x": [{"capabilities": ["read"]}], "y": [{"capabilities": ["list"]}]}}'],
  ])('finds the same blocks in %s', (_name, text) => {
    expect(summary(text, 'path', 1)).toEqual(expected);
  });

  it('returns repeated blocks separately, in source order, never merged', () => {
    const text = 'listener "tcp" { address = "a" }\nstorage "file" {}\nlistener "tcp" { address = "b" }';
    expect(summary(text, 'listener', 1)).toEqual([
      [['tcp'], { address: 'a' }],
      [['tcp'], { address: 'b' }],
    ]);
  });

  it('reads unlabelled blocks in HCL and JSON spellings', () => {
    expect(summary('telemetry { a = 1 }', 'telemetry', 0)).toEqual([[[], { a: 1 }]]);
    expect(summary('telemetry = { a = 1 }', 'telemetry', 0)).toEqual([[[], { a: 1 }]]);
    expect(summary('{"telemetry": {"a": 1}}', 'telemetry', 0)).toEqual([[[], { a: 1 }]]);
    const joins = 'retry_join { a = 1 }\nretry_join { a = 2 }\nretry_join = [{ a = 3 }]';
    expect(summary(joins, 'retry_join', 0).map(([, body]) => body)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('supports several labels', () => {
    expect(summary('a "b" "c" { x = 1 }\na "d" { "e" { x = 2 } }', 'a', 2)).toEqual([
      [['b', 'c'], { x: 1 }],
      [['d', 'e'], { x: 2 }],
    ]);
  });

  it('reports the position of each block', () => {
    const found = blocks(parseHcl('\n\npath "x" {}\n  path "y" {}'), 'path', 1);
    expect(found.map((b) => b.pos)).toEqual([
      { line: 3, column: 1 },
      { line: 4, column: 3 },
    ]);
  });

  it('ignores other keys and returns [] when the block is absent', () => {
    expect(blocks(parseHcl('a = 1'), 'path', 1)).toEqual([]);
  });

  it('rejects too many labels, a missing label and a non-block value with a positioned error', () => {
    const tooMany = () => blocks(parseHcl('x = 1\npath "a" "b" {}'), 'path', 1, 'p.hcl');
    expect(tooMany).toThrow(HclSyntaxError);
    expect(tooMany).toThrow('p.hcl:2:1: "path" takes 1 label, found "a" "b"');
    expect(() => blocks(parseHcl('path { capabilities = ["read"] }'), 'path', 1)).toThrow(
      /^1:23: "path" must be a block like path "…" \{ … \}, found a list$/,
    );
    expect(() => blocks(parseHcl('telemetry = "x"'), 'telemetry', 0)).toThrow(/"telemetry" must be a block like telemetry \{ … \}, found a string/);
  });
});

describe('toPlain()', () => {
  it('turns labelled blocks into nested records and merges label levels', () => {
    expect(toPlain(parseHcl('path "a" { x = 1 }\npath "b" { y = [true, 2.5] }'))).toEqual({
      path: { a: { x: 1 }, b: { y: [true, 2.5] } },
    });
  });

  it('lets the later value win for a repeated key', () => {
    expect(toPlain(parseHcl('a = 1\na = "two"\np "x" { v = 1 }\np "x" { w = 2 }'))).toEqual({ a: 'two', p: { x: { w: 2 } } });
  });

  it('stores a key named __proto__ as plain data', () => {
    const value = toPlain(parseHcl('"__proto__" = { polluted = true }')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
