/**
 * A small table renderer shared by CLI commands: aligned columns, a header row, and colour only when
 * the caller says so (use `shouldColour(process.stdout)`: a TTY, and NO_COLOR not set). It owns
 * layout only; what a cell says is the command's business.
 *
 * Cells often hold text that came from the network (a node's name): control characters are shown
 * as `?` so that no peer can move the cursor or forge lines in an operator's terminal.
 */

export type Align = 'left' | 'right'
export type Colour = 'red' | 'green' | 'yellow' | 'dim' | 'bold'

export interface Column<R> {
  header: string
  cell: (row: R) => string
  /** Default left; use right for numbers. */
  align?: Align
  /** Colour of this column's cell in a row (ignored without colour). */
  colour?: (row: R) => Colour | undefined
}

export interface TableOptions {
  /** ANSI colours; default off. */
  colour?: boolean
  /** Print the header row; default true. */
  header?: boolean
  /** Spaces between columns; default 2. */
  gap?: number
}

const ANSI: Record<Colour, [string, string]> = {
  red: ['\u001b[31m', '\u001b[39m'],
  green: ['\u001b[32m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  bold: ['\u001b[1m', '\u001b[22m'],
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/** The text with control characters (escape sequences, newlines, tabs) replaced by `?`. */
export function sanitizeCell(text: string): string {
  return text.replace(CONTROL, '?')
}

/** Width in terminal columns, counting code points (wide East Asian glyphs count as one). */
export function displayWidth(text: string): number {
  return [...text].length
}

export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  if (!enabled || colour === undefined || text === '') return text
  const [open, close] = ANSI[colour]
  return `${open}${text}${close}`
}

/** Whether to colour output written to `stream`: only a TTY, and never when NO_COLOR is set or TERM=dumb. */
export function shouldColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  if (stream.isTTY !== true) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return env.TERM !== 'dumb'
}

/** Renders rows as lines of aligned columns (no trailing spaces), ending with a newline. */
export function renderTable<R>(columns: readonly Column<R>[], rows: readonly R[], opts: TableOptions = {}): string {
  const colour = opts.colour ?? false
  const gap = ' '.repeat(opts.gap ?? 2)
  const showHeader = opts.header ?? true
  const cells = rows.map((row) => columns.map((c) => sanitizeCell(c.cell(row))))
  const headers = columns.map((c) => sanitizeCell(c.header))
  const widths = columns.map((_, i) => Math.max(showHeader ? displayWidth(headers[i]!) : 0, ...cells.map((r) => displayWidth(r[i]!))))
  const line = (texts: string[], colours: (Colour | undefined)[]): string => {
    const parts = texts.map((text, i) => {
      const pad = ' '.repeat(widths[i]! - displayWidth(text))
      const last = i === texts.length - 1
      const right = columns[i]!.align === 'right'
      // Padding stays outside the colour codes, so alignment never depends on them.
      return right ? pad + paint(text, colours[i], colour) : paint(text, colours[i], colour) + (last ? '' : pad)
    })
    return parts.join(gap).trimEnd()
  }
  const out: string[] = []
  if (showHeader) out.push(line(headers, columns.map(() => 'bold')))
  rows.forEach((row, r) => out.push(line(cells[r]!, columns.map((c) => c.colour?.(row)))))
  return out.length ? `${out.join('\n')}\n` : ''
}
