// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// What a GovernedProxy asks its admin (the governance contract) before it points at any code.
interface ICodeApprovals {
    /// @param runtimeCodeHash keccak256 of the deployed (runtime) bytecode, as EXTCODEHASH returns it.
    function isCodeApproved(bytes32 runtimeCodeHash) external view returns (bool);
}

/// The one call the governance contract makes on a proxy. It is not in GovernedProxy's ABI as a
/// function: the proxy handles it in its fallback, only for its admin (see GovernedProxy).
interface IGovernedProxy {
    function upgradeTo(address newImplementation) external;
}

/// The chain parameters contract (at 0x…1002): a SetChainParameters decision hands it the voted
/// parameters, which it checks and schedules; only the governance contract may call it.
interface IChainParameters {
    function schedule(bytes calldata payload) external;
}
