/** The employer's page: report a contribution, and see every contribution with the fund's answer and any dispute. */
import { html, type Html } from '../html.js'
import type { Contribution, EmployerView } from '../model.js'
import { CONTRIBUTION_STATUS, euros } from '../format.js'
import { fundOptions, participantOptions } from './common.js'

export function employerPage(view: EmployerView): Html {
  const disputes = view.contributions.filter((c) => c.status === 'disputed')
  return html`
<h1>Employer: ${view.employer.name}</h1>
<p class="lead">Report what you paid into each participant’s pension; the fund acknowledges it or disputes it, and both of you see the same record on the ledger.</p>
<section aria-labelledby="report-h">
  <h2 id="report-h">Report a contribution</h2>
  <form class="stack" method="post" action="/employer/contributions">
    <p><label for="c-participant">Participant</label>
    <select id="c-participant" name="participant" required>${participantOptions(view.participants)}</select></p>
    <p><label for="c-fund">Fund</label>
    <select id="c-fund" name="fund" required>${fundOptions(view.funds)}</select></p>
    <p><label for="c-period">Period <span class="hint">The month paid for, as YYYY-MM.</span></label>
    <input id="c-period" name="period" required pattern="[0-9]{4}-(0[1-9]|1[0-2])" inputmode="numeric" placeholder="2026-01"></p>
    <p><label for="c-amount">Amount in euros <span class="hint">For example 450.00</span></label>
    <input id="c-amount" name="amount" required inputmode="decimal" pattern="[0-9]{1,12}([.,][0-9]{1,2})?"></p>
    <p><button type="submit">Report contribution</button></p>
  </form>
</section>
<section aria-labelledby="disputes-h">
  <h2 id="disputes-h">Disputes</h2>
  ${disputes.length === 0 ? html`<p class="empty">No fund disputes a contribution.</p>` : contributionTable(disputes, 'Contributions a fund disputes', 'disputes')}
</section>
<section aria-labelledby="contributions-h">
  <h2 id="contributions-h">Reported contributions</h2>
  ${view.contributions.length === 0 ? html`<p class="empty">Nothing reported yet.</p>` : contributionTable(view.contributions, 'All contributions you reported', 'contributions')}
</section>`
}

export function contributionTable(rows: Contribution[], caption: string, testid: string, actions?: (c: Contribution) => Html): Html {
  return html`
<div class="table-wrap">
<table class="stack" data-testid="${testid}">
  <caption>${caption}</caption>
  <thead><tr><th scope="col">Participant</th><th scope="col">Period</th><th scope="col">Fund</th><th scope="col" class="num">Amount</th><th scope="col">Status</th>${actions ? html`<th scope="col">Action</th>` : ''}</tr></thead>
  <tbody>
    ${rows.map(
      (c) => html`<tr data-contribution="${c.id}" data-status="${c.status}">
      <td data-label="Participant"><code>${c.participant}</code></td>
      <td data-label="Period">${c.period}</td>
      <td data-label="Fund">${c.fund.name}</td>
      <td data-label="Amount" class="num">${euros(c.amountCents)}</td>
      <td data-label="Status">${CONTRIBUTION_STATUS[c.status]}${c.disputeReason ? html`: ${c.disputeReason}` : ''}</td>
      ${actions ? html`<td data-label="Action">${actions(c)}</td>` : ''}
    </tr>`,
    )}
  </tbody>
</table>
</div>`
}
