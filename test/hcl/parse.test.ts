import { describe, expect, it } from 'vitest';
import type { HclNode, HclObject } from '../../src/hcl/ast.js';
import { toPlain } from '../../src/hcl/decode.js';
import { HclSyntaxError, parseHcl, parseHclOrJson } from '../../src/hcl/parse.js';

const plain = (text: string): unknown => toPlain(parseHcl(text));
const valueOf = (text: string): unknown => (plain(text) as Record<string, unknown>)['v'];

function syntaxError(text: string, filename?: string): HclSyntaxError {
  try {
    parseHclOrJson(text, filename);
  } catch (e) {
    expect(e).toBeInstanceOf(HclSyntaxError);
    return e as HclSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

function expectError(text: string, line: number, column: number, what: RegExp): void {
  const e = syntaxError(text);
  expect({ line: e.line, column: e.column }).toEqual({ line, column });
  expect(e.reason).toMatch(what);
}

describe('comments', () => {
  it('skips #, // and /* */ comments anywhere between tokens', () => {
    const text = '# top\n// also\n/* multi\n line */ a = /* inline */ 1 # trailing\nb = [ // in list\n 2, /* x */ 3 ]\n';
    expect(plain(text)).toEqual({ a: 1, b: [2, 3] });
  });

  it('does not treat comment markers inside strings as comments', () => {
    expect(valueOf('v = "# not // a /* comment */"')).toBe('# not // a /* comment */');
  });
});

describe('strings', () => {
  it('decodes escapes \\n \\t \\" \\\\ \\uXXXX \\UXXXXXXXX \\xHH and octal', () => {
    expect(valueOf(String.raw`v = "a\nb\tc\"d\\e\u00e9\U0001F600\x41\101"`)).toBe('a\nb\tc"d\\eé😀AA');
  });

  it('assembles \\x and octal escapes as UTF-8 bytes, like Go', () => {
    expect(valueOf(String.raw`v = "\xc3\xa9|\303\251"`)).toBe('é|é');
  });

  it('keeps ${…} literally, including quotes, escapes and newlines inside it', () => {
    expect(valueOf('v = "x-${lookup(m, "k")}-${a\\n}-${ {b} }"')).toBe('x-${lookup(m, "k")}-${a\\n}-${ {b} }');
    expect(valueOf('v = "${a\n}"')).toBe('${a\n}');
    expect(valueOf('v = "$ and $$ and {}"')).toBe('$ and $$ and {}');
  });

  it('allows an empty string and unicode text', () => {
    expect(plain('a = ""\nb = "日本語 ✓"')).toEqual({ a: '', b: '日本語 ✓' });
  });
});

describe('heredocs', () => {
  it('<<EOF keeps the text verbatim, with its final newline', () => {
    expect(valueOf('v = <<EOF\npath "a" {\n  x = 1\n}\nEOF\n')).toBe('path "a" {\n  x = 1\n}\n');
  });

  it('<<-EOF removes the closing line\'s indentation from every line', () => {
    expect(valueOf('v = <<-EOF\n    one\n      two\n    EOF\n')).toBe('one\n  two\n');
  });

  it('<<-EOF keeps the text when a line is less indented than the closing line (HCL1 rule)', () => {
    expect(valueOf('v = <<-EOF\n    one\n  two\n    EOF\n')).toBe('    one\n  two\n');
  });

  it('handles CRLF files, empty heredocs, heredocs in lists and a closing line at end of file', () => {
    expect(valueOf('v = <<EOF\r\nx\r\nEOF\r\n')).toBe('x\n');
    expect(valueOf('v = <<EOF\nEOF\n')).toBe('');
    expect(valueOf('v = [<<A\nalpha\nA\n, "b"]')).toEqual(['alpha\n', 'b']);
    expect(valueOf('v = <<EOF\nx\nEOF')).toBe('x\n');
  });

  it('does not end at a line that merely contains the anchor', () => {
    expect(valueOf('v = <<EOF\nnot EOF\nEOFX\nEOF\n')).toBe('not EOF\nEOFX\n');
  });
});

describe('numbers and bools', () => {
  it.each([
    ['42', 42],
    ['-17', -17],
    ['0', 0],
    ['3.25', 3.25],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['.75', 0.75],
    ['0x1F', 31],
    ['-0x10', -16],
    ['0755', 493],
    ['33554432', 33554432],
  ])('%s', (text, value) => {
    expect(valueOf(`v = ${text}`)).toBe(value);
  });

  it('reads true and false', () => {
    expect(plain('a = true\nb = false')).toEqual({ a: true, b: false });
  });
});

describe('lists', () => {
  it('accepts trailing commas, newlines and nesting', () => {
    expect(valueOf('v = [\n  "a",\n  "b",\n]')).toEqual(['a', 'b']);
    expect(valueOf('v = [1, [2, 3], { k = "x" }, []]')).toEqual([1, [2, 3], { k: 'x' }, []]);
    expect(valueOf('v = []')).toEqual([]);
  });
});

describe('objects and items', () => {
  it('separates items by newlines, commas, or nothing at all', () => {
    expect(plain('a = 1, b = 2\nc = 3 d = 4')).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(plain('x { a = 1, b = 2 }')).toEqual({ x: { a: 1, b: 2 } });
    expect(plain('x = { a = 1\n b = "two", }')).toEqual({ x: { a: 1, b: 'two' } });
  });

  it('records keys, labels, positions and the assign flag', () => {
    const ast = parseHcl('a = 1\npath "secret/*" "extra" {\n  capabilities = ["read"]\n}\n');
    expect(ast.pos).toEqual({ line: 1, column: 1 });
    const [a, path] = ast.items;
    expect(a).toMatchObject({ keys: ['a'], assign: true, pos: { line: 1, column: 1 } });
    expect(a!.value).toEqual({ kind: 'number', value: 1, pos: { line: 1, column: 5 } });
    expect(path).toMatchObject({ keys: ['path', 'secret/*', 'extra'], assign: false, pos: { line: 2, column: 1 } });
    const body = path!.value as HclObject;
    expect(body.kind).toBe('object');
    expect(body.pos).toEqual({ line: 2, column: 25 });
    const caps = body.items[0]!;
    expect(caps.pos).toEqual({ line: 3, column: 3 });
    expect(caps.value).toEqual({
      kind: 'list',
      pos: { line: 3, column: 18 },
      items: [{ kind: 'string', value: 'read', pos: { line: 3, column: 19 } }],
    } satisfies HclNode);
  });

  it('accepts bare identifiers with -, . and _ and quoted keys', () => {
    expect(plain('key-with.dots_and-dashes = 1\n"quoted key" = 2\n_x = 3')).toEqual({
      'key-with.dots_and-dashes': 1,
      'quoted key': 2,
      _x: 3,
    });
  });

  it('accepts allowed_parameters { "foo" = [] } with several items on one line', () => {
    const ast = parseHcl('path "a" { allowed_parameters { "foo" = [] "bar" = ["x", "y"] } }');
    expect(toPlain(ast)).toEqual({ path: { a: { allowed_parameters: { foo: [], bar: ['x', 'y'] } } } });
  });

  it('keeps repeated items separately in the AST', () => {
    const ast = parseHcl('listener "tcp" { a = 1 }\nlistener "tcp" { a = 2 }');
    expect(ast.items.map((i) => i.keys)).toEqual([
      ['listener', 'tcp'],
      ['listener', 'tcp'],
    ]);
  });

  it('counts a UTF-16 column for positions after non-ASCII text', () => {
    const ast = parseHcl('é = "ü" b = 1');
    expect(ast.items[1]!.pos).toEqual({ line: 1, column: 9 });
  });
});

describe('parseHclOrJson', () => {
  it('parses JSON into the same AST shapes, one item per key, with positions', () => {
    const ast = parseHclOrJson('{\n  "a": 1,\n  "path": {"x": {"capabilities": ["read"]}},\n  "a": null\n}');
    expect(ast.items.map((i) => [i.keys, i.pos, i.assign])).toEqual([
      [['a'], { line: 2, column: 3 }, true],
      [['path'], { line: 3, column: 3 }, true],
      [['a'], { line: 4, column: 3 }, true],
    ]);
    expect(ast.items[2]!.value).toEqual({ kind: 'string', value: '', pos: { line: 4, column: 8 } });
    expect(toPlain(ast)).toEqual({ a: '', path: { x: { capabilities: ['read'] } } });
  });

  it('decodes JSON escapes and numbers', () => {
    expect(toPlain(parseHclOrJson('{"s": "\\u00e9\\n\\"\\/", "n": [-1.5e2, 0, 7]}'))).toEqual({ s: 'é\n"/', n: [-150, 0, 7] });
  });

  it('parses HCL when the text does not start with {', () => {
    expect(toPlain(parseHclOrJson('  # c\n a = 1'))).toEqual({ a: 1 });
    expect(toPlain(parseHclOrJson('\ufeff  a = 1'))).toEqual({ a: 1 });
  });
});

describe('syntax errors carry line, column and what was expected', () => {
  it('formats the message as file:line:col: reason', () => {
    const e = syntaxError('a = 1\nb', 'policy.hcl');
    expect(e.message).toBe('policy.hcl:2:2: expected \'=\' or \'{\' after key "b", found end of input');
    expect(e).toMatchObject({ filename: 'policy.hcl', line: 2, column: 2, name: 'HclSyntaxError' });
    expect(syntaxError('a = 1\nb').message).toBe('2:2: expected \'=\' or \'{\' after key "b", found end of input');
  });

  it.each<[string, number, number, RegExp]>([
    ['a', 1, 2, /expected '=' or '\{' after key "a", found end of input/],
    ['a "b"\n]', 2, 1, /expected '=' or '\{' after key "a" "b", found '\]'/],
    ['= 1', 1, 1, /expected a key before '='/],
    ['x {\n  { }\n}', 2, 3, /expected a key \(identifier or quoted string\), found '\{'/],
    ['true = 1', 1, 1, /expected a key .*found true/],
    ['a "b" = 1', 1, 7, /expected '\{' after key "a" "b"/],
    ['a = ', 1, 5, /expected a value .* after '=' at 1:3, found end of input/],
    ['a = b', 1, 5, /expected a value .*found identifier b \(strings must be quoted\)/],
    ['a = }', 1, 5, /expected a value .*found '\}'/],
    ['ttl = 1h', 1, 9, /a value with a unit must be quoted: "1h"/],
    ['x {\n  a = 1\n', 3, 1, /expected '\}' to close the object opened at 1:3, found end of input/],
    ['a = [1\n 2]', 2, 2, /expected ',' or '\]' after a list element, found number 2/],
    ['a = [1,', 1, 8, /expected '\]' to close the list opened at 1:5/],
    ['a = [=]', 1, 6, /expected a list element or '\]', found '='/],
    ['a = 1,, b = 2', 1, 7, /expected a key .*found ','/],
    ['}', 1, 1, /expected a key .*found '\}'/],
    ['a = "abc', 1, 5, /unterminated string/],
    ['a = "ab\nc"', 1, 5, /strings cannot span lines/],
    ['a = "x\\qy"', 1, 7, /invalid escape sequence "\\q"/],
    ['a = "\\u12"', 1, 6, /needs 4 hex digits/],
    ['a = "\\400"', 1, 6, /above \\377/],
    ['a = "\\U00110000"', 1, 6, /not a Unicode code point/],
    ['a = <<EOF\nno end\n', 1, 5, /unterminated heredoc \(no line "EOF" closes it\)/],
    ['a = <<-EOF\nx\nEOF\n', 1, 5, /must be indented/],
    ['a = <<EOF junk\nEOF\n', 1, 10, /invalid characters after heredoc anchor/],
    ['a = <<\nx\n', 1, 5, /heredoc anchor is missing/],
    ['a = <b', 1, 5, /a heredoc starts with '<<'/],
    ['a = 1\n/* open', 2, 1, /unterminated \/\* comment/],
    ['a = 1 / 2', 1, 7, /unexpected '\/'/],
    ['a = 08', 1, 5, /invalid octal number "08"/],
    ['a = 0x', 1, 5, /invalid hexadecimal number/],
    ['a = 1e', 1, 5, /invalid number "1e"/],
    ['a = 1e400', 1, 5, /out of range/],
    ['a = 99999999999999999999', 1, 5, /out of range/],
    ['a = -x', 1, 5, /unexpected '-'/],
    ['a = @', 1, 5, /unexpected character "@"/],
    ['a = 1\0', 1, 6, /unexpected NUL character/],
    ['a = ' + '['.repeat(300), 1, 205, /nesting deeper than 200 levels/],
    ['{"a": 1,, "b": 2}', 1, 9, /expected a quoted object key, found ","/],
    ['{"a" 1}', 1, 6, /expected ':' after object key "a", found "1"/],
    ['{"a": [1 2]}', 1, 10, /expected ',' or '\]' in the array opened at 1:7, found "2"/],
    ['{"a": 1', 1, 8, /expected ',' or '\}' in the object opened at 1:1, found end of input/],
    ['{"a": tru}', 1, 7, /expected a JSON value, found "t"/],
    ['{"a": "x\ny"}', 1, 9, /control character in string/],
    ['{"a": "\\x41"}', 1, 8, /invalid escape sequence "\\x"/],
    ['{"a": 1} x', 1, 10, /unexpected "x" after the end of the JSON document/],
  ])('%j', (text, line, column, what) => {
    expectError(text, line, column, what);
  });
});
