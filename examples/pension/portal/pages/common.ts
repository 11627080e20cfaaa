/** Pieces several pages share. */
import { html, type Html } from '../html.js'
import type { ParticipantRef, PartyRef } from '../model.js'

/** The development-mode picker: a GET form, so the choice is in the URL and works without script. */
export function participantPicker(action: string, all: ParticipantRef[], current: string | undefined): Html {
  return html`
<form class="stack" method="get" action="${action}" role="search" aria-label="Choose a participant">
  <p><label for="pick-participant">Participant <span class="hint">Development mode: choose whose portal to see.</span></label>
  <select id="pick-participant" name="id">
    ${all.map((p) => html`<option value="${p.id}"${p.id === current ? html` selected` : ''}>${p.label} (${p.id})</option>`)}
  </select></p>
  <p><button type="submit" class="secondary">Show</button></p>
</form>`
}

export function fundOptions(funds: PartyRef[], selected?: string): Html {
  return html`${funds.map((f) => html`<option value="${f.id}"${f.id === selected ? html` selected` : ''}>${f.name}</option>`)}`
}

export function participantOptions(all: ParticipantRef[]): Html {
  return html`${all.map((p) => html`<option value="${p.id}">${p.label} (${p.id})</option>`)}`
}
