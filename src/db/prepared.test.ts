import { describe, expect, it } from 'vitest';
import { isStalePreparedStatement, StatementNames } from './prepared.ts';

describe('StatementNames', () => {
  it('names a text once and gives it the same name every time', () => {
    const names = new StatementNames();
    const a = names.nameOf('select * from investments where id = $1', 1);
    expect(a).toBe('kontor_0');
    expect(names.nameOf('select * from investors where id = $1', 1)).toBe('kontor_1');
    expect(names.nameOf('select * from investments where id = $1', 1)).toBe(a);
    expect(names.size).toBe(2);
  });

  it('leaves statements without parameters unnamed (scripts of several statements need the simple protocol)', () => {
    const names = new StatementNames();
    expect(names.nameOf('begin', 0)).toBeUndefined();
    expect(names.nameOf('create table a (x int); create table b (y int)', 0)).toBeUndefined();
    expect(names.size).toBe(0);
  });

  it('leaves texts too long, with too many parameters or beyond the capacity unnamed', () => {
    const names = new StatementNames(2, 50, 3);
    expect(names.nameOf(`select ${'x, '.repeat(30)}1 where a = $1`, 1)).toBeUndefined();
    expect(names.nameOf('select 1 where a in ($1, $2, $3, $4)', 4)).toBeUndefined();
    expect(names.nameOf('select 1 where a = $1', 1)).toBe('kontor_0');
    expect(names.nameOf('select 2 where a = $1', 1)).toBe('kontor_1');
    expect(names.nameOf('select 3 where a = $1', 1)).toBeUndefined();
    // The named ones keep their names at capacity.
    expect(names.nameOf('select 1 where a = $1', 1)).toBe('kontor_0');
  });
});

describe('isStalePreparedStatement', () => {
  it("recognizes PostgreSQL's refusal of a plan whose result type changed, and nothing else", () => {
    expect(isStalePreparedStatement({ code: '0A000', message: 'cached plan must not change result type' })).toBe(true);
    expect(isStalePreparedStatement({ code: '0A000', message: 'something else is not supported' })).toBe(false);
    expect(isStalePreparedStatement({ code: '42P01', message: 'cached plan must not change result type' })).toBe(false);
    expect(isStalePreparedStatement(null)).toBe(false);
    expect(isStalePreparedStatement(new Error('cached plan must not change result type'))).toBe(false);
  });
});
