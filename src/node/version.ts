/** The client's name and version, as web3_clientVersion, the metrics and the RPC banner give it. */
export const CLIENT_VERSION = 'Quorate/v0.1.0'
