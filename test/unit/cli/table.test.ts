import { describe, expect, it } from 'vitest'
import { displayWidth, paint, renderTable, sanitizeCell, shouldColour, type Column } from '../../../src/cli/table.js'

interface Row {
  name: string
  height: number
  health: string
}

const columns: Column<Row>[] = [
  { header: 'NODE', cell: (r) => r.name },
  { header: 'HEIGHT', cell: (r) => String(r.height), align: 'right' },
  { header: 'HEALTH', cell: (r) => r.health, colour: (r) => (r.health === 'up' ? 'green' : 'red') },
]
const rows: Row[] = [
  { name: 'node-1', height: 1234, health: 'up' },
  { name: 'pensionfund-a', height: 7, health: 'down: connect ECONNREFUSED' },
]

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '')

describe('cli/table', () => {
  it('aligns columns: left-aligned text, right-aligned numbers, no trailing spaces', () => {
    const out = renderTable(columns, rows)
    expect(out).toBe(
      [
        'NODE           HEIGHT  HEALTH',
        'node-1           1234  up',
        'pensionfund-a       7  down: connect ECONNREFUSED',
        '',
      ].join('\n'),
    )
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd())
  })

  it('writes no escape codes without colour, and the same layout with colour', () => {
    const plain = renderTable(columns, rows)
    expect(plain).not.toContain('\u001b')
    const coloured = renderTable(columns, rows, { colour: true })
    expect(coloured).toContain('\u001b[32mup\u001b[39m')
    expect(coloured).toContain('\u001b[31mdown: connect ECONNREFUSED\u001b[39m')
    expect(coloured).toContain('\u001b[1mNODE\u001b[22m')
    expect(stripAnsi(coloured)).toBe(plain)
  })

  it('leaves out the header on request, and renders nothing for no rows and no header', () => {
    expect(renderTable(columns, rows, { header: false }).split('\n')[0]).toBe('node-1         1234  up')
    expect(renderTable(columns, [], { header: false })).toBe('')
    expect(renderTable(columns, [])).toBe('NODE  HEIGHT  HEALTH\n')
  })

  it('shows control characters from the network as ? so a peer cannot forge terminal output', () => {
    const evil: Row = { name: 'bad\u001b[2J\nnode', height: 1, health: 'up' }
    const out = renderTable(columns, [evil])
    expect(out.split('\n')).toHaveLength(3)
    expect(out).toContain('bad?[2J?node')
    expect(out).not.toContain('\u001b')
    expect(sanitizeCell('a\tb\u009bc')).toBe('a?b?c')
  })

  it('counts width in code points, so an accented or astral name stays aligned', () => {
    expect(displayWidth('Zürich')).toBe(6)
    expect(displayWidth('a😀b')).toBe(3)
    const out = renderTable([{ header: 'N', cell: (r: { n: string }) => r.n }, { header: 'X', cell: () => 'x' }], [{ n: 'Zürich' }, { n: 'ab' }], { header: false })
    expect(out).toBe('Zürich  x\nab      x\n')
  })

  it('colours only a TTY, and never with NO_COLOR or TERM=dumb', () => {
    expect(shouldColour({ isTTY: false }, {})).toBe(false)
    expect(shouldColour({}, {})).toBe(false)
    expect(shouldColour({ isTTY: true }, {})).toBe(true)
    expect(shouldColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false)
    expect(shouldColour({ isTTY: true }, { TERM: 'dumb' })).toBe(false)
    expect(paint('x', 'red', false)).toBe('x')
    expect(paint('x', undefined, true)).toBe('x')
  })
})
