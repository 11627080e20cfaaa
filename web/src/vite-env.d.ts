/// <reference types="vite/client" />

/** The ABIs of the contracts a governed chain holds, by contract name, and where the genesis puts them (web/vite.config.ts). */
declare module 'virtual:known-abis' {
  import type { Abi, Address } from 'viem'
  export const abis: Record<string, Abi>
  export const addresses: { ConsortiumGovernance: Address; PrivateDataAnchors: Address }
}
