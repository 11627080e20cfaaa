// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICodeApprovals, IGovernedProxy} from "./GovernanceInterfaces.sol";

/// @title GovernedProxy
/// @notice An upgradeable proxy whose only admin is the consortium's governance contract: the
/// implementation changes only when an UpgradeContract proposal is approved, and only to code whose
/// runtime hash the consortium approved.
///
/// Design notes (the why):
/// - EIP-1967 slots hold the implementation and the admin, so explorers and tools find them, and an
///   implementation's own storage layout can never collide with them.
/// - No immutables: every proxy instance has the same runtime code, so the consortium approves the
///   proxy's code hash once (nodes refuse to create unapproved code) instead of once per instance.
/// - Transparent pattern: calls from the admin are never forwarded. The governance contract only
///   ever upgrades, so an implementation function whose selector clashes with `upgradeTo` cannot
///   swallow an upgrade, and everybody else always reaches the implementation, even with that
///   selector.
contract GovernedProxy {
    /// bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    /// bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1)
    bytes32 internal constant ADMIN_SLOT = 0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103;

    /// EIP-1967 events, so that generic tools follow the proxy's history.
    event Upgraded(address indexed implementation);
    event AdminChanged(address previousAdmin, address newAdmin);

    /// @param implementation the first implementation; its runtime code must already be approved by `admin`
    /// @param admin the governance contract (asked for the approval, and the only account that may upgrade)
    /// @param initData if not empty, delegate-called on the implementation once (an initializer)
    constructor(address implementation, address admin, bytes memory initData) payable {
        // A proxy is only as governed as its admin: an account without code could upgrade at will.
        require(admin.code.length > 0, "GovernedProxy: admin must be the governance contract");
        require(implementation.code.length > 0, "GovernedProxy: implementation is not a contract");
        // Deploying a proxy must not be a way around code approval for the code it runs.
        require(
            ICodeApprovals(admin).isCodeApproved(implementation.codehash),
            "GovernedProxy: implementation code is not approved"
        );
        _store(ADMIN_SLOT, admin);
        emit AdminChanged(address(0), admin);
        _store(IMPLEMENTATION_SLOT, implementation);
        emit Upgraded(implementation);
        if (initData.length > 0) {
            (bool ok, bytes memory reason) = implementation.delegatecall(initData);
            if (!ok) _bubble(reason);
        }
    }

    fallback() external payable {
        _dispatch();
    }

    receive() external payable {
        _dispatch();
    }

    function _dispatch() private {
        if (msg.sender == _load(ADMIN_SLOT)) {
            require(msg.sig == IGovernedProxy.upgradeTo.selector, "GovernedProxy: the admin can only upgrade");
            require(msg.value == 0, "GovernedProxy: an upgrade carries no value");
            address next = abi.decode(msg.data[4:], (address));
            // The governance contract checks the code approval; this only stops an upgrade to nothing.
            require(next.code.length > 0, "GovernedProxy: new implementation is not a contract");
            _store(IMPLEMENTATION_SLOT, next);
            emit Upgraded(next);
            return;
        }
        address impl = _load(IMPLEMENTATION_SLOT);
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 { revert(0, returndatasize()) }
            default { return(0, returndatasize()) }
        }
    }

    function _load(bytes32 slot) private view returns (address value) {
        assembly {
            value := sload(slot)
        }
    }

    function _store(bytes32 slot, address value) private {
        assembly {
            sstore(slot, value)
        }
    }

    function _bubble(bytes memory reason) private pure {
        assembly {
            revert(add(reason, 32), mload(reason))
        }
    }
}
