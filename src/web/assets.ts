/** The one stylesheet of Studio and the subscription pages (served at /assets/kontor.css). */
export const STYLESHEET = `
:root { --ink: #1b1f24; --muted: #5a6270; --line: #d5d9e0; --accent: #0b5cad; --bad: #a3161b; --good: #1d6b2f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
.top { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 12px 20px; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; }
.top nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; }
.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
.logout { margin-left: auto; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 1.6rem; margin: 8px 0 16px; }
h2 { font-size: 1.2rem; margin: 24px 0 8px; }
.notice { background: #e8f4ea; border-left: 4px solid var(--good); padding: 8px 12px; }
.problem { background: #fbeaea; border-left: 4px solid var(--bad); padding: 8px 12px; }
.field { margin: 0 0 12px; display: flex; flex-direction: column; max-width: 420px; }
.field label { font-weight: 600; }
.field input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; }
.field.invalid input { border-color: var(--bad); }
.error { color: var(--bad); }
.hint { color: var(--muted); }
button, .button { font: inherit; padding: 6px 14px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.facts { display: grid; grid-template-columns: minmax(140px, max-content) 1fr; gap: 4px 16px; margin: 0 0 16px; }
.facts div { display: contents; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.actions { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-end; margin: 8px 0 16px; }
.actions form { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; margin-bottom: 12px; }
.filters .field { margin: 0; }
.pager { display: flex; gap: 16px; margin-top: 12px; }
.status { font-weight: 600; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 16px; }
.steps { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; color: var(--muted); }
.steps li[aria-current="step"] { color: var(--ink); font-weight: 700; }
@media (max-width: 600px) {
  .facts { grid-template-columns: 1fr; }
  .facts dd { margin-bottom: 8px; }
  th, td { padding: 4px; }
}
`;
