import pg from 'pg';

/**
 * Kontor's queries as named prepared statements. PostgreSQL parses, rewrites and plans an unnamed
 * statement on every execution; for the short statements of the API that was a large part of the
 * server's work per request (measured: about 30 % of PostgreSQL's CPU per create_investment). A
 * named statement is parsed once per connection and then only bound and executed.
 *
 * Names are given per statement text, process-wide, to at most `capacity` texts of at most
 * `maxLength` characters and `maxParameters` parameters: texts that vary with their input (an
 * `in` list, a batch of rows) would otherwise fill every connection's statement cache without
 * ever being reused. Statements without parameters are never named: those may be scripts of
 * several statements (migrations), which only the simple protocol runs.
 */
export class StatementNames {
  readonly #names = new Map<string, string>();

  constructor(
    readonly capacity = 1000,
    readonly maxLength = 8000,
    readonly maxParameters = 64,
  ) {}

  /** The name of this statement text, or undefined when it runs unnamed. */
  nameOf(text: string, parameters: number): string | undefined {
    if (parameters === 0 || parameters > this.maxParameters) return undefined;
    const known = this.#names.get(text);
    if (known !== undefined) return known;
    if (this.#names.size >= this.capacity || text.length > this.maxLength) return undefined;
    const name = `kontor_${this.#names.size}`;
    this.#names.set(text, name);
    return name;
  }

  get size(): number {
    return this.#names.size;
  }
}

const statementNames = new StatementNames();

/**
 * After a migration changes a table's columns, a statement prepared with `select *` or
 * `returning *` cannot run again on its connection (SQLSTATE 0A000). That one statement fails;
 * the connection then runs its statements unnamed (re-planned each time) for the rest of its life.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === '0A000' &&
    typeof e.message === 'string' &&
    e.message.includes('cached plan must not change result type')
  );
}

/** A pg client that runs parameterized query texts as named prepared statements (see above). */
export class PreparingClient extends pg.Client {
  #naming = true;

  // pg's query has many overloads; only the form kysely uses, (text, values) → promise, is named.
  // biome-ignore lint/suspicious/noExplicitAny: forwards pg's overloaded signature unchanged
  override query(...args: any[]): any {
    const [text, values, callback] = args;
    if (this.#naming && typeof text === 'string' && Array.isArray(values) && callback === undefined) {
      const name = statementNames.nameOf(text, values.length);
      if (name !== undefined) {
        return (super.query({ name, text, values }) as Promise<pg.QueryResult>).catch((error: unknown) => {
          if (isStalePreparedStatement(error)) this.#naming = false;
          throw error;
        });
      }
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above
    return (super.query as (...a: any[]) => any)(...args);
  }
}
