/**
 * Server-rendered pages: preact components rendered to a string (every text and attribute is
 * escaped by the renderer), one layout, plain HTML forms that work without JavaScript.
 */
import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';
import { formatMoney } from '../registry/domain.ts';

export function html(page: VNode): string {
  return `<!doctype html>${render(page)}`;
}

export interface NavItem {
  href: string;
  label: string;
  current?: boolean;
}

export function Layout(props: {
  title: string;
  area: string;
  nav?: NavItem[];
  user?: string;
  logout?: { csrf: string };
  notice?: string | null;
  problem?: string | null;
  children: ComponentChildren;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${props.area}`}</title>
        <link rel="stylesheet" href="/assets/kontor.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">{props.area}</span>
          {props.nav && (
            <nav aria-label="Main">
              <ul>
                {props.nav.map((item) => (
                  <li key={item.href}>
                    <a href={item.href} aria-current={item.current ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {props.logout && (
            <form method="post" action="/studio/logout" class="logout">
              <Csrf token={props.logout.csrf} />
              <span class="user">{props.user}</span> <button type="submit">Log out</button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.notice && (
            <p class="notice" role="status">
              {props.notice}
            </p>
          )}
          {props.problem && (
            <p class="problem" role="alert">
              {props.problem}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function Csrf({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A labelled input with its error, if any (ids tie label, input and error together). */
export function Field(props: {
  name: string;
  label: string;
  value?: string | null;
  type?: string;
  required?: boolean;
  error?: string[] | undefined;
  hint?: string;
  autocomplete?: string;
}) {
  const id = `f-${props.name.replaceAll('.', '-')}`;
  const describedBy = [props.hint ? `${id}-hint` : null, props.error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div class={props.error ? 'field invalid' : 'field'}>
      <label for={id}>{props.label}</label>
      {props.hint && (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required}
        autocomplete={props.autocomplete}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
      />
      {props.error && (
        <small id={`${id}-error`} class="error">
          {props.error.join('; ')}
        </small>
      )}
    </div>
  );
}

/** Rows of label and value. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Money as the API writes it ({amount in minor units, decimals, currency}), for people. */
export function money(m: { amount: string; currency: string } | null | undefined): string {
  return m ? formatMoney(BigInt(m.amount), m.currency) : '—';
}

/** A UTC timestamp for people: 2026-11-22 10:31 UTC. */
export function when(ts: string | null | undefined): string {
  if (!ts) return '—';
  return `${ts.slice(0, 10)} ${ts.slice(11, 16)} UTC`;
}
