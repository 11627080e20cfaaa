/**
 * The frame every portal page shares: language, title, a skip link, the site header with the
 * navigation landmark, the main landmark (whose first heading is the page's h1), the notice of the
 * last action, and the footer. It owns the frame only; each page renders its own content.
 */
import { html, type Html } from './html.js'

export type Section = 'home' | 'participant' | 'employer' | 'fund' | 'regulator'

export interface Notice {
  kind: 'done' | 'error'
  text: string
}

const NAV: readonly { section: Section; href: string; label: string }[] = [
  { section: 'home', href: '/', label: 'Start' },
  { section: 'participant', href: '/participant', label: 'Participant' },
  { section: 'employer', href: '/employer', label: 'Employer' },
  { section: 'fund', href: '/fund', label: 'Pension fund' },
]

export interface LayoutInput {
  title: string
  section: Section
  body: Html
  notice?: Notice | undefined
}

export function layout({ title, section, body, notice }: LayoutInput): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Pension portal</title>
<link rel="stylesheet" href="/portal.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <a class="brand" href="/">Pension portal</a>
  <nav aria-label="Portal sections">
    <ul>
      ${NAV.map(
        (n) => html`<li><a href="${n.href}"${n.section === section ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
${notice ? noticeBox(notice) : ''}
${body}
</main>
<footer class="site">
  <p>Development portal of the pension consortium example. Participants are pseudonymous on the ledger: personal data stays in the private collections of the parties that need it.</p>
</footer>
</body>
</html>
`
}

function noticeBox(notice: Notice): Html {
  // An error must interrupt (alert); a confirmation is announced politely (status).
  return notice.kind === 'error'
    ? html`<div class="notice error" role="alert" data-testid="notice"><strong>Not done:</strong> ${notice.text}</div>`
    : html`<div class="notice" role="status" data-testid="notice">${notice.text}</div>`
}
