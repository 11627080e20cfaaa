/** Every `quorate data <command>` named in docs/privacy.md and docs/cli.md exists, and every command is documented in both. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dataCommand } from '../../../src/cli/data.js'

describe('quorate data: docs and commands agree', () => {
  it('docs/privacy.md and docs/cli.md name exactly the data commands that exist', async () => {
    const commands = dataCommand().commands.map((c) => c.name()).sort()
    expect(commands).toContain('verify-erasure')
    for (const doc of ['privacy.md', 'cli.md']) {
      const text = await readFile(join(import.meta.dirname, '../../../docs', doc), 'utf8')
      const named = [...new Set([...text.matchAll(/quorate data ([a-z-]+)/g)].map((m) => m[1]!))].sort()
      expect({ doc, named }).toEqual({ doc, named: commands })
    }
  })
})
