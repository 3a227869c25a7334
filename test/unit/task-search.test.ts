import { describe, expect, it } from 'vitest';
import { prefixEnd, taskWhere } from '../../src/store/index.js';

describe('task search SQL (store/task-search.ts)', () => {
  it('puts every filter in the WHERE clause with its value as a parameter, in order', () => {
    const { where, params } = taskWhere({
      status: 'failed',
      failure: 'eu_error',
      euId: 'eu_1',
      owner: 'acct_1',
      idPrefix: 't_a',
      since: 5,
      until: 9,
      operatorId: 'op_1',
      region: 'eu-west',
      after: 't_b',
      order: 'desc',
      limit: 10,
    });
    expect(where).toHaveLength(10);
    expect(params).toEqual([
      'failed',
      'eu_error',
      'eu_1',
      'acct_1',
      't_a',
      prefixEnd('t_a'),
      5,
      9,
      'op_1',
      'eu-west',
      't_b',
    ]);
    // Placeholders and parameters match one for one; no value is ever spliced into the text.
    expect(where.join(' ').split('?').length - 1).toBe(params.length);
    expect(where.join(' ')).not.toContain('t_a');
    expect(where[where.length - 1]).toContain('<');
  });

  it('collects a small operator’s tasks and walks a large one’s, with the same parameter', () => {
    const small = taskWhere({ operatorId: 'op_1', limit: 1 }, { operatorShare: 'small' });
    const large = taskWhere({ operatorId: 'op_1', limit: 1 }, { operatorShare: 'large' });
    expect(small.where[0]).toMatch(/^id IN/);
    expect(large.where[0]).toMatch(/^EXISTS/);
    expect(small.params).toEqual(large.params);
    expect(taskWhere({ limit: 1 })).toEqual({ where: [], params: [] });
  });

  it('bounds an id prefix above every id that starts with it', () => {
    for (const id of ['t_a', 't_az', 't_a~~~', 't_a\u00ff']) expect(id < prefixEnd('t_a')).toBe(true);
    expect('t_b' < prefixEnd('t_a')).toBe(false);
  });
});
