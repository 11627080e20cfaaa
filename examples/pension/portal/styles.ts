/**
 * The portal's one style sheet, served as /portal.css (the pages allow no inline styles). Plain and
 * readable: system fonts, text at least 16 px, contrast above WCAG AA (body text #1a1a1a on white is
 * 17:1, links #0b4f9c 8:1, the green and red marks 7:1 and 6:1), a visible focus ring on everything
 * that takes the keyboard, and one column below 40em.
 */
export const PORTAL_CSS = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --line: #b8b8b8; --bg: #ffffff; --panel: #f4f5f7;
  --link: #0b4f9c; --ok: #0f5c2e; --ok-bg: #e3f4e8; --bad: #a1141c; --bad-bg: #fbe6e7; --warn: #6b4a00; --warn-bg: #fff3d1; --focus: #ffbf47; }
* { box-sizing: border-box; }
html { font-size: 100%; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; font-size: 1rem; line-height: 1.5; color: var(--ink); background: var(--bg); }
a { color: var(--link); text-underline-offset: 0.15em; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--ink); }
.skip { position: absolute; left: -999em; top: 0; background: var(--bg); padding: 0.5rem 1rem; }
.skip:focus { left: 0.5rem; z-index: 10; }
header.site { background: #14213d; color: #ffffff; padding: 0.75rem 1rem; }
header.site a { color: #ffffff; }
header.site .brand { font-weight: 700; font-size: 1.125rem; text-decoration: none; }
header.site nav ul { list-style: none; margin: 0.5rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; }
header.site nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.75rem; line-height: 1.2; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.375rem; margin: 2rem 0 0.75rem; border-bottom: 2px solid var(--line); padding-bottom: 0.25rem; }
h3 { font-size: 1.125rem; margin: 1rem 0 0.5rem; }
p.lead { color: var(--muted); max-width: 45rem; }
ul.cards, ul.consents { list-style: none; padding: 0; }
.consents li { margin: 0.5rem 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; background: var(--panel); }
.card h3 { margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.mark { display: inline-block; font-weight: 700; padding: 0.1rem 0.5rem; border-radius: 4px; border: 1px solid currentColor; }
.mark.ok { color: var(--ok); background: var(--ok-bg); }
.mark.bad { color: var(--bad); background: var(--bad-bg); }
.mark.warn { color: var(--warn); background: var(--warn-bg); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
caption { text-align: left; font-weight: 700; padding: 0.25rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.5rem; border-bottom: 1px solid var(--line); }
th { background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.875rem; overflow-wrap: anywhere; }
form.inline { display: inline; }
form.stack { display: grid; gap: 0.75rem; max-width: 30rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; margin: 0; }
legend { font-weight: 700; padding: 0 0.25rem; }
label { display: block; font-weight: 600; }
.hint { display: block; color: var(--muted); font-weight: 400; font-size: 0.9375rem; }
input, select { font: inherit; padding: 0.5rem; border: 2px solid var(--muted); border-radius: 4px; width: 100%; max-width: 30rem; background: var(--bg); color: var(--ink); }
button { font: inherit; font-weight: 600; padding: 0.5rem 1rem; min-height: 2.75rem; border-radius: 4px; border: 2px solid var(--link); background: var(--link); color: #ffffff; cursor: pointer; }
button.secondary { background: var(--bg); color: var(--link); }
button.danger { border-color: var(--bad); background: var(--bad); }
.notice { border-left: 6px solid var(--ok); background: var(--ok-bg); padding: 0.75rem 1rem; margin: 1rem 0; }
.notice.error { border-color: var(--bad); background: var(--bad-bg); }
.empty { color: var(--muted); font-style: italic; }
footer.site { max-width: 70rem; margin: 2rem auto 1rem; padding: 0 1rem; color: var(--muted); font-size: 0.9375rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 40em) {
  h1 { font-size: 1.5rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 0.5rem; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { display: block; border-bottom: 2px solid var(--line); padding: 0.5rem 0; }
  table.stack td { display: block; border: none; padding: 0.125rem 0; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; color: var(--muted); }
  td.num { text-align: left; }
}
@media (min-width: 40.01em) { td[data-label="When"] { white-space: nowrap; } }
@media (prefers-reduced-motion: reduce) { * { scroll-behavior: auto; transition: none; } }
`
