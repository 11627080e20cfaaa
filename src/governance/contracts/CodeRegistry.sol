// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import "./GovernanceErrors.sol";
import {GovernanceState} from "./GovernanceState.sol";
import {IGovernedProxy} from "./GovernanceInterfaces.sol";

/// @title CodeRegistry
/// @notice Approved runtime code hashes and upgrades of governed proxies to approved code.
abstract contract CodeRegistry is GovernanceState {
    function _approveCode(bytes32 hash) internal {
        if (hash == bytes32(0)) revert ZeroCodeHash();
        if (_approvedCode[hash]) revert CodeAlreadyApproved(hash);
        _approvedCode[hash] = true;
        emit CodeApproved(hash);
    }

    function _revokeCode(bytes32 hash) internal {
        if (!_approvedCode[hash]) revert CodeNotApproved(hash);
        _approvedCode[hash] = false;
        emit CodeRevoked(hash);
    }

    function _upgradeContract(address proxy, address implementation) internal {
        if (proxy.code.length == 0) revert NotAContract(proxy);
        if (implementation.code.length == 0) revert NotAContract(implementation);
        if (!_approvedCode[implementation.codehash]) revert CodeNotApproved(implementation.codehash);
        // The proxy accepts this only from its admin: a proxy governed by someone else makes it fail.
        IGovernedProxy(proxy).upgradeTo(implementation);
        emit ContractUpgraded(proxy, implementation);
    }
}
