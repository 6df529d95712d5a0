import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('parseDuration (seconds)', () => {
  it.each<[string | number, number]>([
    [3600, 3600],
    [1.25, 1.25],
    [0, 0],
    ['3600', 3600],
    ['+5', 5],
    ['1.5', 1.5],
    ['', 0],
    ['0', 0],
    ['2160h0m0s', 2160 * 3600],
    ['768h', 768 * 3600],
    ['1h30m', 5400],
    ['90s', 90],
    ['1.5h', 5400],
    ['.5m', 30],
    ['500ms', 0.5],
    ['1us', 0.000001],
    ['1µs', 0.000001],
    ['1μs', 0.000001],
    ['10ns', 1e-8],
    ['1h1m1.5s', 3661.5],
    ['-1h', -3600],
    ['+1m', 60],
    ['7d', 7 * 86400],
    ['30d', 30 * 86400],
    [' 90s ', 90],
  ])('%j → %d', (input, seconds) => {
    expect(parseDuration(input)).toBeCloseTo(seconds, 9);
  });

  it.each<string | number>(['abc', '1x', 'h', '.s', '1.5d', '1 h', '--1h', '1h-1m', 'd', '10000000000000h', Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects %j',
    (input) => {
      expect(() => parseDuration(input)).toThrow(/duration|unit/);
    },
  );

  it('names the bad input in the error', () => {
    expect(() => parseDuration('5 minutes')).toThrow('"5 minutes"');
  });
});

describe('formatDuration (Go time.Duration.String)', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [768 * 3600, '768h0m0s'],
    [2160 * 3600, '2160h0m0s'],
    [365 * 86400, '8760h0m0s'],
    [90, '1m30s'],
    [60, '1m0s'],
    [59, '59s'],
    [3661, '1h1m1s'],
    [3600, '1h0m0s'],
    [1.5, '1.5s'],
    [1.000000001, '1.000000001s'],
    [0.5, '500ms'],
    [0.0015, '1.5ms'],
    [0.000001, '1µs'],
    [0.0000015, '1.5µs'],
    [1e-9, '1ns'],
    [-90, '-1m30s'],
  ])('%d → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const s of [0, 1, 59, 61, 3599, 3600, 86399.5, 768 * 3600, 0.25]) expect(parseDuration(formatDuration(s))).toBeCloseTo(s, 9);
  });

  it('rejects non-finite input', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(/cannot format/);
  });
});
