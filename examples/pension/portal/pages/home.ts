/** The start page: who are you, with one link per desk. */
import { html, type Html } from '../html.js'
import type { PartyRef } from '../model.js'

export function homePage(funds: PartyRef[]): Html {
  return html`
<h1>Pension portal</h1>
<p class="lead">One view of a participant’s pension across the consortium’s funds, and the desks of the employer and the funds that keep it up to date.</p>
<ul class="cards" aria-label="Desks">
  <li class="card"><h2><a href="/participant">Participant</a></h2><p>Your entitlements in every fund with verified statements, your transfers, your consents, and who read your data and why.</p></li>
  <li class="card"><h2><a href="/employer">Employer</a></h2><p>Report contributions and see what the funds acknowledged or dispute.</p></li>
  ${funds.map(
    (f) => html`<li class="card"><h2><a href="/fund?fund=${encodeURIComponent(f.id)}">${f.name}</a></h2><p>Acknowledge contributions, quote and accept transfers, publish statements.</p></li>`,
  )}
</ul>`
}
