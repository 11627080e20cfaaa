/**
 * The node's TLS identity: a self-signed certificate (EC P-256) created by `quorate init`.
 * Peers do not check it against a CA: who a peer is comes from the signed handshake, which is bound
 * to the TLS session (handshake.ts). TLS here gives confidentiality and the channel binding.
 */
import { generate } from 'selfsigned'

export interface TlsIdentity {
  certPem: string
  keyPem: string
}

export interface TlsIdentityOptions {
  /** Certificate lifetime; default 10 years (expiry is not checked by peers, so do not let it bite). */
  validityDays?: number
  /** Extra DNS names or IP addresses for the subjectAltName (the common name is always included). */
  altNames?: string[]
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

export async function generateTlsIdentity(commonName: string, opts: TlsIdentityOptions = {}): Promise<TlsIdentity> {
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(notBeforeDate.getTime() + (opts.validityDays ?? 3650) * 86_400_000)
  const names = [commonName, ...(opts.altNames ?? [])]
  const altNames = names.map((n) => (IPV4.test(n) || n.includes(':') ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }))
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  })
  return { certPem: pems.cert, keyPem: pems.private }
}
