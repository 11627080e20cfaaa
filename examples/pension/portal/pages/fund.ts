/**
 * A pension fund's page (fund A or B chosen in the URL): acknowledge or dispute contributions,
 * quote transfers out, accept transfers in, settle, and publish yearly statements.
 */
import { html, type Html } from '../html.js'
import type { FundView, PartyRef, Transfer } from '../model.js'
import { euros, TRANSFER_STATUS, when } from '../format.js'
import { contributionTable } from './employer.js'
import { fundOptions, participantOptions } from './common.js'

export function fundPage(view: FundView): Html {
  const fund = view.fund
  const open = view.contributions.filter((c) => c.status === 'reported')
  return html`
<h1>Pension fund: ${fund.name}</h1>
<form class="stack" method="get" action="/fund" aria-label="Choose a fund">
  <p><label for="pick-fund">Fund <span class="hint">Development mode: choose which fund’s desk to see.</span></label>
  <select id="pick-fund" name="fund">${fundOptions(view.funds, fund.id)}</select></p>
  <p><button type="submit" class="secondary">Show</button></p>
</form>
<section aria-labelledby="ack-h">
  <h2 id="ack-h">Contributions to acknowledge</h2>
  ${
    open.length === 0
      ? html`<p class="empty">Nothing waits for acknowledgement.</p>`
      : contributionTable(open, 'Contributions reported by employers', 'open-contributions', (c) =>
          hiddenForm('/fund/acknowledge', fund.id, { contribution: c.id }, html`<button type="submit">Acknowledge<span class="visually-hidden"> ${c.participant} ${c.period}</span></button>`),
        )
  }
  ${
    open.length === 0
      ? ''
      : html`<form class="stack" method="post" action="/fund/dispute">
    <fieldset><legend>Dispute a contribution</legend>
    <input type="hidden" name="fund" value="${fund.id}">
    <p><label for="d-contribution">Contribution</label>
    <select id="d-contribution" name="contribution" required>${open.map((c) => html`<option value="${c.id}">${c.participant} ${c.period} ${euros(c.amountCents)}</option>`)}</select></p>
    <p><label for="d-reason">Reason <span class="hint">A short code, at most 31 characters: it is stored on the ledger.</span></label><input id="d-reason" name="reason" required maxlength="31"></p>
    <p><button type="submit" class="danger">Dispute</button></p>
    </fieldset></form>`
  }
</section>
<section aria-labelledby="fund-transfers-h">
  <h2 id="fund-transfers-h">Value transfers</h2>
  ${view.transfers.length === 0 ? html`<p class="empty">No transfer involves this fund.</p>` : transferTable(fund, view.transfers)}
</section>
<section aria-labelledby="statements-h">
  <h2 id="statements-h">Yearly statements</h2>
  <form class="stack" method="post" action="/fund/statement">
    <fieldset><legend>Publish a statement</legend>
    <input type="hidden" name="fund" value="${fund.id}">
    <p><label for="s-participant">Participant</label><select id="s-participant" name="participant" required>${participantOptions(view.participants)}</select></p>
    <p><label for="s-year">Year <span class="hint">The statement sums the contributions this fund acknowledged that year.</span></label><input id="s-year" name="year" required inputmode="numeric" pattern="[0-9]{4}"></p>
    <p><button type="submit">Publish statement</button></p>
    </fieldset>
  </form>
  ${
    view.statements.length === 0
      ? html`<p class="empty">No statement published yet.</p>`
      : html`<div class="table-wrap"><table class="stack" data-testid="statements">
    <caption>Statements published by ${fund.name}</caption>
    <thead><tr><th scope="col">Participant</th><th scope="col">Year</th><th scope="col">Hash on the ledger</th></tr></thead>
    <tbody>${view.statements.map(
      (s) => html`<tr><td data-label="Participant"><code>${s.participant}</code></td><td data-label="Year">${s.year}</td><td data-label="Hash" class="hash">${s.hash}</td></tr>`,
    )}</tbody></table></div>`
  }
</section>`
}

function transferTable(fund: PartyRef, transfers: Transfer[]): Html {
  return html`
<div class="table-wrap">
<table class="stack" data-testid="fund-transfers">
  <caption>Transfers out of and into ${fund.name}</caption>
  <thead><tr><th scope="col">Participant</th><th scope="col">Direction</th><th scope="col">Status</th><th scope="col" class="num">Value</th><th scope="col">Due</th><th scope="col">Action</th></tr></thead>
  <tbody>
    ${transfers.map(
      (t) => html`<tr data-transfer="${t.id}" data-status="${t.status}">
      <td data-label="Participant"><code>${t.participant}</code></td>
      <td data-label="Direction">${t.from.id === fund.id ? html`Out to ${t.to.name}` : html`In from ${t.from.name}`}</td>
      <td data-label="Status">${TRANSFER_STATUS[t.status]}</td>
      <td data-label="Value" class="num">${t.valueCents === undefined ? '—' : euros(t.valueCents)}</td>
      <td data-label="Due">${t.deadline === undefined ? '—' : when(t.deadline)}</td>
      <td data-label="Action">${transferAction(fund, t)}</td>
    </tr>`,
    )}
  </tbody>
</table>
</div>`
}

/** The one step this fund can take now, if any. */
function transferAction(fund: PartyRef, t: Transfer): Html {
  const outgoing = t.from.id === fund.id
  if (outgoing && t.status === 'requested') {
    const id = `q-${t.id}`
    return hiddenForm(
      '/fund/quote',
      fund.id,
      { transfer: t.id },
      html`<label for="${id}">Value in euros</label><input id="${id}" name="value" required inputmode="decimal" pattern="[0-9]{1,12}([.,][0-9]{1,2})?"> <button type="submit">Send quote</button>`,
    )
  }
  if (!outgoing && t.status === 'quoted') return hiddenForm('/fund/accept', fund.id, { transfer: t.id }, html`<button type="submit">Accept transfer</button>`)
  if (outgoing && t.status === 'accepted') return hiddenForm('/fund/settle', fund.id, { transfer: t.id }, html`<button type="submit">Settle transfer</button>`)
  return html`<span class="empty">Nothing to do</span>`
}

function hiddenForm(action: string, fund: string, fields: Record<string, string>, controls: Html): Html {
  return html`<form class="inline" method="post" action="${action}"><input type="hidden" name="fund" value="${fund}">${Object.entries(fields).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}${controls}</form>`
}
