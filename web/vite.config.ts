/**
 * Build of the operator dashboard: `vite build web` (from the repository root) writes web/dist,
 * which the node serves under /dashboard/ (src/ops/dashboard.ts).
 *
 * `virtual:known-abis` gives the page the ABIs (not the bytecode) of the contracts every governed
 * chain holds, and their addresses, read from the node's own sources at build time, so the search
 * view decodes their logs without a second copy of either.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const VIRTUAL = 'virtual:known-abis'

function addressIn(file: string, name: string): string {
  const m = new RegExp(`${name}[^=]*=\\s*'(0x[0-9a-fA-F]{40})'`).exec(readFileSync(resolve(ROOT, file), 'utf8'))
  if (!m) throw new Error(`${file} no longer defines ${name} as an address literal`)
  return m[1]!
}

function knownAbis(): Plugin {
  return {
    name: 'quorate-known-abis',
    resolveId: (id) => (id === VIRTUAL ? `\0${VIRTUAL}` : undefined),
    load(id) {
      if (id !== `\0${VIRTUAL}`) return undefined
      const artifacts = JSON.parse(readFileSync(resolve(ROOT, 'src/governance/artifacts.json'), 'utf8')) as { contracts: Record<string, { abi: unknown[] }> }
      const abis = Object.fromEntries(Object.entries(artifacts.contracts).map(([name, c]) => [name, c.abi]))
      const addresses = {
        ConsortiumGovernance: addressIn('src/governance/address.ts', 'GOVERNANCE_ADDRESS'),
        PrivateDataAnchors: addressIn('src/privacy/address.ts', 'PRIVATE_DATA_ANCHORS_ADDRESS'),
      }
      return `export const abis = ${JSON.stringify(abis)};\nexport const addresses = ${JSON.stringify(addresses)};\n`
    },
  }
}

export default defineConfig({
  base: '/dashboard/',
  plugins: [knownAbis()],
  // esbuild compiles the TSX itself: no React plugin needed for a production build.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
})
