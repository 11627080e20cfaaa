/** Small presentational pieces shared by the views. Status is always colour and a text label. */
import { useId, type ReactNode } from 'react'
import { formatAbsolute, formatRelative, shortHex } from '../format.js'

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral'

export function StatusBadge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge--${tone}`} title={title}>
      <span className="badge__dot" aria-hidden="true" />
      {children}
    </span>
  )
}

/** A titled region; `plain` drops the box, for lists of cards. */
export function Section({ title, description, actions, children, plain = false }: { title: string; description?: ReactNode; actions?: ReactNode; children: ReactNode; plain?: boolean }) {
  const id = useId()
  return (
    <section className={plain ? 'section section--plain' : 'section'} aria-labelledby={id}>
      <header className="section__header">
        <div>
          <h2 id={id} className="section__title">
            {title}
          </h2>
          {description !== undefined && <p className="section__description">{description}</p>}
        </div>
        {actions}
      </header>
      {children}
    </section>
  )
}

export function Stat({ label, value, detail, tone, hint }: { label: string; value: ReactNode; detail?: ReactNode; tone?: Tone; hint?: string }) {
  const id = useId()
  return (
    <div className={`stat ${tone ? `stat--${tone}` : ''}`} role="group" aria-labelledby={id} title={hint}>
      <div id={id} className="stat__label">
        {label}
      </div>
      <div className="stat__value">{value}</div>
      {detail !== undefined && <div className="stat__detail">{detail}</div>}
    </div>
  )
}

/** An address or hash in monospace; shortened ones carry the full value as title. */
export function Mono({ value, short = false }: { value: string; short?: boolean }) {
  return (
    <span className="mono" title={short ? value : undefined}>
      {short ? shortHex(value) : value}
    </span>
  )
}

export function AddressCell({ address, name, sub, short = false }: { address: string; name?: string; sub?: ReactNode; short?: boolean }) {
  return (
    <div className="address-cell">
      {name !== undefined && <div className="address-cell__name">{name}</div>}
      <Mono value={address} short={short} />
      {sub !== undefined && <div className="address-cell__sub">{sub}</div>}
    </div>
  )
}

export function RelativeTime({ at, now }: { at: number; now: number }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={formatAbsolute(at)}>
      {formatRelative(at, now)}
    </time>
  )
}

export function Notice({ tone, title, children }: { tone: Tone; title: string; children?: ReactNode }) {
  return (
    <div className={`notice notice--${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      <div className="notice__title">{title}</div>
      {children !== undefined && <div className="notice__body">{children}</div>}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>
}
