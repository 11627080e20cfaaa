/**
 * The participant's page: every entitlement across funds with its statement checked against the
 * chain, the transfers under way, who read their data and why, and their consents. Rendering only:
 * the figures come in a ParticipantView.
 */
import { html, type Html } from '../html.js'
import type { AccessLogSource, AccessRead, Consent, Entitlement, ParticipantRef, ParticipantView, PartyRef, Transfer } from '../model.js'
import { euros, TRANSFER_STATUS, when } from '../format.js'
import { fundOptions, participantPicker } from './common.js'

export function participantPage(view: ParticipantView, all: ParticipantRef[]): Html {
  const p = view.participant
  return html`
<h1>Your pension</h1>
<p class="lead">Participant <code data-testid="participant-id">${p.id}</code> (${p.label}). Everything below is read from the consortium ledger and the member nodes’ access logs.</p>
${participantPicker('/participant', all, p.id)}
${entitlementsSection(view.entitlements)}
${transfersSection(p.id, view.transfers, view.funds, view.entitlements)}
${consentSection(p.id, view.consents)}
${accessLogSection(view.accessLog)}
`
}

/** Shown when no participant is registered yet. */
export function noParticipantsPage(): Html {
  return html`<h1>Your pension</h1><p class="empty">No participant is registered on the ledger yet.</p>`
}

function entitlementsSection(entitlements: Entitlement[]): Html {
  return html`
<section aria-labelledby="entitlements-h">
  <h2 id="entitlements-h">Entitlements</h2>
  ${entitlements.length === 0 ? html`<p class="empty">No fund holds entitlements for you.</p>` : ''}
  <div class="cards">
    ${entitlements.map(entitlementCard)}
  </div>
</section>`
}

function entitlementCard(e: Entitlement): Html {
  const s = e.statement
  const id = `fund-${e.fund.id}`
  const missing = 'document not available'
  return html`
<article class="card" aria-labelledby="${id}" data-testid="entitlement" data-fund="${e.fund.id}">
  <h3 id="${id}">${e.fund.name}</h3>
  <dl class="facts">
    <dt>Holds your rights now</dt><dd data-testid="holder">${e.holder ? 'Yes' : 'No'}</dd>
    <dt>Acknowledged contributions</dt><dd>${euros(e.contributionsCents)}</dd>
    ${
      s === undefined
        ? html`<dt>Statement</dt><dd class="empty">None published yet</dd>`
        : html`<dt>Statement year</dt><dd>${s.year}</dd>
    <dt>Contributions in it</dt><dd>${s.contributionsCents === undefined ? missing : euros(s.contributionsCents)}</dd>
    <dt>Accrued pension a year</dt><dd data-testid="accrued">${s.accruedPensionCents === undefined ? missing : euros(s.accruedPensionCents)}</dd>
    <dt>Statement</dt><dd>${
      s.verified
        ? html`<span class="mark ok" data-testid="statement-mark" data-verified="true">✓ Statement verified</span>`
        : html`<span class="mark bad" data-testid="statement-mark" data-verified="false">✗ Statement not verified</span>`
    }</dd>`
    }
  </dl>
  ${
    s === undefined
      ? ''
      : html`<details>
    <summary>How this was checked</summary>
    <p>The portal recomputed the statement’s hash from the document and compared it with the hash the fund published on the ledger.</p>
    <dl class="facts">
      <dt>Recomputed</dt><dd class="hash">${s.computedHash ?? 'no document to hash'}</dd>
      <dt>On the ledger</dt><dd class="hash">${s.chainHash ?? 'none published'}</dd>
    </dl>
  </details>`
  }
</article>`
}

function transfersSection(participant: string, transfers: Transfer[], funds: PartyRef[], entitlements: Entitlement[]): Html {
  const holding = entitlements.filter((e) => e.holder).map((e) => e.fund)
  return html`
<section aria-labelledby="transfers-h">
  <h2 id="transfers-h">Transfers of your rights</h2>
  ${
    transfers.length === 0
      ? html`<p class="empty">No transfer of your rights has been requested.</p>`
      : html`
  <div class="table-wrap">
  <table class="stack" data-testid="transfers">
    <caption>Your value transfers between funds</caption>
    <thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Status</th><th scope="col" class="num">Value</th><th scope="col">Next step due</th></tr></thead>
    <tbody>
      ${transfers.map(
        (t) => html`<tr data-transfer="${t.id}" data-status="${t.status}">
        <td data-label="From">${t.from.name}</td>
        <td data-label="To">${t.to.name}</td>
        <td data-label="Status">${TRANSFER_STATUS[t.status]}</td>
        <td data-label="Value" class="num">${t.valueCents === undefined ? '—' : euros(t.valueCents)}</td>
        <td data-label="Next step due">${t.deadline === undefined ? '—' : when(t.deadline)}</td>
      </tr>`,
      )}
    </tbody>
  </table>
  </div>`
  }
  <form class="stack" method="post" action="/participant/transfer">
    <fieldset>
      <legend>Move your rights to another fund</legend>
      <input type="hidden" name="participant" value="${participant}">
      <p><label for="transfer-from">From fund</label>
      <select id="transfer-from" name="from" required>${fundOptions(holding)}</select></p>
      <p><label for="transfer-to">To fund</label>
      <select id="transfer-to" name="to" required>${fundOptions(funds, funds.find((f) => !holding.some((h) => h.id === f.id))?.id)}</select></p>
      <button type="submit">Start transfer</button>
    </fieldset>
  </form>
</section>`
}

const NOT_OFFERED = html`<p class="empty" data-testid="not-offered">This ledger does not offer private data (not supported by this fabric), so there is nothing to show here.</p>`

function consentSection(participant: string, consents: Consent[] | undefined): Html {
  if (consents === undefined) return html`<section aria-labelledby="consent-h"><h2 id="consent-h">Consent</h2>${NOT_OFFERED}</section>`
  return html`
<section aria-labelledby="consent-h">
  <h2 id="consent-h">Consent</h2>
  <p>Who may read your personal data, for which purpose. You can withdraw a consent at any time; reads after that are refused.</p>
  <ul class="consents">
    ${consents.map(
      (c) => html`<li data-testid="consent" data-party="${c.party.id}" data-purpose="${c.purpose}" data-granted="${c.granted ? 'true' : 'false'}">
      <form class="inline" method="post" action="/participant/consent">
        <input type="hidden" name="participant" value="${participant}">
        <input type="hidden" name="party" value="${c.party.id}">
        <input type="hidden" name="purpose" value="${c.purpose}">
        <input type="hidden" name="granted" value="${c.granted ? 'false' : 'true'}">
        <strong>${c.party.name}</strong> for <em>${purposeWords(c.purpose)}</em>:
        ${c.granted ? html`<span class="mark ok">given</span>` : html`<span class="mark warn">not given</span>`}
        <button type="submit" class="${c.granted ? 'danger' : ''}">${c.granted ? 'Withdraw consent' : 'Give consent'}<span class="visually-hidden"> to ${c.party.name} for ${purposeWords(c.purpose)}</span></button>
      </form>
    </li>`,
    )}
  </ul>
</section>`
}

function accessLogSection(log: { reads: AccessRead[]; sources: AccessLogSource[] } | undefined): Html {
  if (log === undefined) return html`<section aria-labelledby="log-h"><h2 id="log-h">Who read my data and why</h2>${NOT_OFFERED}</section>`
  const { reads, sources } = log
  return html`
<section aria-labelledby="log-h">
  <h2 id="log-h">Who read my data and why</h2>
  <p>Every read of your personal data, and every refusal, as the member nodes logged it, newest first.</p>
  ${
    reads.length === 0
      ? html`<p class="empty" data-testid="no-reads">Nobody has read your personal data.</p>`
      : html`
  <div class="table-wrap">
  <table class="stack" data-testid="access-log">
    <caption>Access log</caption>
    <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Data</th><th scope="col">Purpose</th><th scope="col">What happened</th></tr></thead>
    <tbody>
      ${reads.map(
        (r) => html`<tr data-party="${r.party}" data-action="${r.action}" data-purpose="${r.purpose}" data-outcome="${r.outcome}">
        <td data-label="When">${when(r.time)}</td>
        <td data-label="Who">${r.party}</td>
        <td data-label="Data">${r.collection}</td>
        <td data-label="Purpose">${r.purpose === '' ? '—' : purposeWords(r.purpose)}</td>
        <td data-label="What happened">${
          r.outcome === 'granted' ? html`<span class="mark ok">${ACTION_DONE[r.action] ?? r.action}</span> ${r.action === 'read' ? '' : r.reason}` : html`<span class="mark bad">${r.action} refused</span> ${r.reason}`
        }</td>
      </tr>`,
      )}
    </tbody>
  </table>
  </div>`
  }
  <p data-testid="log-sources">Logs read from: ${sources.map(
    (s, i) => html`${i > 0 ? ', ' : ''}${s.party} ${s.verified ? html`<span class="mark ok">log verified</span>` : html`<span class="mark bad">log not verified</span> ${s.problems.join('; ')}`}`,
  )}</p>
</section>`
}

/** A served access in words (the access log's actions). */
const ACTION_DONE: Readonly<Record<string, string>> = { read: 'read', write: 'stored', erase: 'erased', purge: 'deleted', consent: 'consent recorded' }

/** "retirement-advice" → "retirement advice"; a record stored for several purposes lists them. */
export function purposeWords(purpose: string): string {
  return purpose.replace(/[-_]/g, ' ').replace(/,/g, ', ')
}
