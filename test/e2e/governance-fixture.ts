/**
 * Governance answers in the exact gov_* shapes, for rendering the parties and proposals views
 * before the chain serves them: the e2e test answers the page's gov_* requests with these (every
 * other request still goes to the real node). The given validators are placed in parties, so the
 * views join them with live sealing and connection state.
 */
export interface GovernanceFixture {
  gov_getParties: unknown[]
  gov_getNodes: unknown[]
  gov_getAccounts: unknown[]
  gov_getPolicies: unknown[]
  gov_getProposals: unknown[]
}

const admin = (n: number) => `0x${n.toString(16).padStart(4, '0').repeat(10)}`

export function governanceFixture(validators: readonly string[], nowSeconds: number): GovernanceFixture {
  const [v1, v2, v3, v4] = validators
  const day = 86_400
  return {
    gov_getParties: [
      { id: 'pensionfund', name: 'Pensioenfonds Horizon', kind: 'member', status: 'active', admins: [admin(0xa1), admin(0xa2)] },
      { id: 'employer', name: 'Bouwgroep Noord', kind: 'member', status: 'active', admins: [admin(0xb1)] },
      { id: 'insurer', name: 'Verzekeraar Delta', kind: 'member', status: 'active', admins: [admin(0xc1)] },
      { id: 'regulator', name: 'Toezichthouder', kind: 'regulator', status: 'active', admins: [admin(0xd1)] },
      { id: 'adminco', name: 'Uitvoerder Plus', kind: 'member', status: 'suspended', admins: [admin(0xe1)] },
    ],
    gov_getNodes: [
      { address: v1, party: 'pensionfund', endpoint: 'wss://node.horizon.example:30303', validator: true, status: 'active', encryptionKey: '0x01' },
      { address: v2, party: 'employer', endpoint: 'wss://quorate.bouwgroep.example:443', validator: true, status: 'active', encryptionKey: '0x02' },
      { address: v3, party: 'insurer', endpoint: 'wss://chain.delta.example:30303', validator: true, status: 'active', encryptionKey: '0x03' },
      { address: v4, party: 'regulator', endpoint: '', validator: true, status: 'active', encryptionKey: '0x04' },
      { address: admin(0xf1), party: 'adminco', endpoint: 'wss://plus.example:30303', validator: false, status: 'removed', encryptionKey: '0x05' },
    ],
    gov_getAccounts: [
      { address: admin(0x11), party: 'pensionfund', permissions: ['transact', 'deploy', 'call'] },
      { address: admin(0x12), party: 'pensionfund', permissions: ['transact', 'call'] },
      { address: admin(0x21), party: 'employer', permissions: ['transact', 'call'] },
      { address: admin(0x31), party: 'insurer', permissions: ['call'] },
    ],
    gov_getPolicies: [
      { decision: 'AddParty', thresholdPercent: 66, comparator: '>', votingPeriodSeconds: 7 * day, vetoParties: [] },
      { decision: 'AddValidator', thresholdPercent: 50, comparator: '>', votingPeriodSeconds: 3 * day, vetoParties: [] },
      { decision: 'ApproveContract', thresholdPercent: 50, comparator: '>=', votingPeriodSeconds: 2 * day, vetoParties: ['regulator'] },
    ],
    gov_getProposals: [
      {
        id: 7,
        decision: 'AddParty',
        description: 'Admit Zorgverzekeraar Oost as a member, with one node and two admin accounts.',
        proposer: 'pensionfund',
        createdAt: nowSeconds - 2 * day,
        deadline: nowSeconds + 5 * day + 3 * 3600 + 1800,
        state: 'open',
        yes: 2,
        no: 1,
        votingParties: 4,
        votes: [
          { party: 'pensionfund', voter: admin(0xa1), support: true },
          { party: 'employer', voter: admin(0xb1), support: true },
          { party: 'insurer', voter: admin(0xc1), support: false },
        ],
        args: { party: 'zorgoost', name: 'Zorgverzekeraar Oost', kind: 'member' },
      },
      {
        id: 6,
        decision: 'ApproveContract',
        description: 'Approve the code of PensionLedger v2 for deployment.',
        proposer: 'insurer',
        createdAt: nowSeconds - 5 * day,
        deadline: nowSeconds - 3 * day,
        state: 'rejected',
        yes: 3,
        no: 1,
        votingParties: 4,
        votes: [
          { party: 'pensionfund', voter: admin(0xa2), support: true },
          { party: 'employer', voter: admin(0xb1), support: true },
          { party: 'insurer', voter: admin(0xc1), support: true },
          { party: 'regulator', voter: admin(0xd1), support: false },
        ],
        args: { codeHash: `0x${'ab'.repeat(32)}` },
      },
      {
        id: 5,
        decision: 'AddValidator',
        description: 'Make the regulator node a validator.',
        proposer: 'regulator',
        createdAt: nowSeconds - 12 * day,
        deadline: nowSeconds - 9 * day,
        state: 'approved',
        yes: 4,
        no: 0,
        votingParties: 4,
        votes: [
          { party: 'pensionfund', voter: admin(0xa1), support: true },
          { party: 'employer', voter: admin(0xb1), support: true },
          { party: 'insurer', voter: admin(0xc1), support: true },
          { party: 'regulator', voter: admin(0xd1), support: true },
        ],
        args: { node: v4 },
      },
    ],
  }
}
