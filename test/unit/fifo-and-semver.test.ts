import { describe, expect, it } from 'vitest';
import { compareSemver } from '../../src/coordinator/memory/eu-registry.js';
import { Fifo } from '../../src/coordinator/scheduling/fifo.js';

describe('Fifo', () => {
  it('keeps order through push, shift and unshift, across compaction', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i);
    q.unshift(-1);
    expect(q.length).toBe(2001);
    expect(q.peek()).toBe(-1);
    expect([...q].slice(0, 3)).toEqual([-1, 3000, 3001]);
    expect(q.shift()).toBe(-1);
    let last = 2999;
    while (q.length > 0) expect(q.shift()).toBe(++last);
    expect(last).toBe(4999);
    expect(q.shift()).toBeUndefined();
  });
});

describe('compareSemver', () => {
  it('orders by precedence', () => {
    const sorted = ['1.0.0', '1.0.0-alpha', '0.9.12', '1.0.0-alpha.1', '1.0.0-beta', '1.10.0', '1.2.0'].sort(
      compareSemver,
    );
    expect(sorted).toEqual(['0.9.12', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0', '1.2.0', '1.10.0']);
  });
});
