// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import "./GovernanceErrors.sol";
import {GovernanceState} from "./GovernanceState.sol";

/// @title GovernanceViews
/// @notice The listings of the governance state (parties, nodes, accounts, policies, proposals,
/// collections). It lives at its own address (0x…1003) and runs only by DELEGATECALL from
/// ConsortiumGovernance's fallback, on the governance contract's storage: the address of the
/// governance contract answers these calls as its own. Views only: nothing here writes.
contract GovernanceViews is GovernanceState {
    /// Validator candidates (active nodes of active parties voted in, not yet activated by their node).
    function validatorCandidates() external view returns (address[] memory candidates) {
        candidates = new address[](_nodeList.length);
        uint256 count = 0;
        for (uint256 i = 0; i < _nodeList.length; i++) {
            Node storage n = _nodes[_nodeList[i]];
            if (n.candidate && n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE) candidates[count++] = n.nodeAddress;
        }
        assembly ("memory-safe") {
            mstore(candidates, count)
        }
    }

    /// Every node ever added (removed ones with status 3), in the order they were first added.
    function getNodes()
        external
        view
        returns (
            address[] memory nodes,
            bytes32[] memory parties,
            bool[] memory validators,
            uint8[] memory statuses,
            string[] memory endpoints,
            bytes32[] memory encryptionKeys
        )
    {
        uint256 count = _nodeList.length;
        nodes = new address[](count);
        parties = new bytes32[](count);
        validators = new bool[](count);
        statuses = new uint8[](count);
        endpoints = new string[](count);
        encryptionKeys = new bytes32[](count);
        for (uint256 i = 0; i < count; i++) {
            Node storage node = _nodes[_nodeList[i]];
            nodes[i] = node.nodeAddress;
            parties[i] = node.partyId;
            validators[i] = node.validator;
            statuses[i] = node.status;
            endpoints[i] = node.endpoint;
            encryptionKeys[i] = node.encryptionKey;
        }
    }

    /// Every private data collection, in the order they were created.
    function getCollections() external view returns (Collection[] memory collections) {
        collections = new Collection[](_collectionIds.length);
        for (uint256 i = 0; i < _collectionIds.length; i++) collections[i] = _collections[_collectionIds[i]];
    }

    /// An unknown id gives a collection with a zero id.
    function getCollection(bytes32 id) external view returns (Collection memory) {
        return _collections[id];
    }

    /// Every party ever added (removed ones included), in the order they were added.
    function getParties() external view returns (Party[] memory parties) {
        parties = new Party[](_partyIds.length);
        for (uint256 i = 0; i < _partyIds.length; i++) parties[i] = _parties[_partyIds[i]];
    }

    /// An unknown id gives a party with status 0 (none).
    function getParty(bytes32 id) external view returns (Party memory) {
        return _parties[id];
    }

    function getPolicy(uint8 decisionType) external view returns (Policy memory) {
        if (decisionType >= DECISION_TYPES) revert UnknownDecisionType(decisionType);
        return _policies[decisionType];
    }

    function getProposal(uint256 id) external view returns (Proposal memory) {
        return _proposal(id);
    }

    function hasVoted(uint256 id, bytes32 party) external view returns (bool) {
        return _votes[id][party] != NO_VOTE;
    }

    /// The recorded vote of a party on a proposal: 0 none, 1 yes, 2 no.
    function voteOf(uint256 id, bytes32 party) external view returns (uint8) {
        return _votes[id][party];
    }

    /// The party an account is an admin of (zero if none).
    function adminPartyOf(address account) external view returns (bytes32) {
        return _adminParty[account];
    }

    /// The registered record of an account (not its effective permissions: see permissionsOf).
    function getAccount(address account) external view returns (bytes32 partyId, uint8 permissions) {
        Account storage a = _accounts[account];
        return (a.partyId, a.permissions);
    }

    /// Every registered account with its party and permission bits (as set; see permissionsOf for
    /// what is in effect while a party is suspended).
    function getAccounts() external view returns (address[] memory accounts, bytes32[] memory parties, uint8[] memory permissions) {
        uint256 n = _accountList.length;
        accounts = _accountList;
        parties = new bytes32[](n);
        permissions = new uint8[](n);
        for (uint256 i = 0; i < n; i++) {
            Account storage a = _accounts[_accountList[i]];
            parties[i] = a.partyId;
            permissions[i] = a.permissions;
        }
    }
}
