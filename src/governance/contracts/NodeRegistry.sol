// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import "./GovernanceErrors.sol";
import {GovernanceState} from "./GovernanceState.sol";

/// @title NodeRegistry
/// @notice Nodes, validators and validator candidates, and the validator floor (minValidators).
abstract contract NodeRegistry is GovernanceState {
    function _addNode(address node, bytes32 partyId, string memory endpoint, bytes32 encryptionKey) internal {
        if (node == address(0)) revert ZeroAddress();
        if (_parties[partyId].status != PARTY_ACTIVE) revert PartyNotActive(partyId);
        if (bytes(endpoint).length > MAX_ENDPOINT_BYTES) revert EndpointTooLong();
        Node storage n = _nodes[node];
        if (n.status == NODE_ACTIVE) revert NodeAlreadyActive(node);
        // A removed node key may come back (e.g. a party rejoins with the same machine).
        if (n.status == 0) {
            if (_nodeList.length >= MAX_NODES) revert TooManyNodes();
            _nodeList.push(node);
        }
        n.nodeAddress = node;
        n.partyId = partyId;
        n.endpoint = endpoint;
        n.validator = false;
        n.status = NODE_ACTIVE;
        n.encryptionKey = encryptionKey;
        n.candidate = false;
        emit NodeAdded(node, partyId);
    }

    function _removeNode(address node) internal {
        Node storage n = _nodes[node];
        if (n.status != NODE_ACTIVE) revert NodeNotActive(node);
        if (_countsAsValidator(node)) _requireValidatorsLeft(1);
        _retireNode(n);
    }

    function _addValidator(address node) internal {
        Node storage n = _nodes[node];
        if (n.status != NODE_ACTIVE) revert NodeNotActive(node);
        if (n.validator) revert AlreadyValidator(node);
        if (_parties[n.partyId].status != PARTY_ACTIVE) revert PartyNotActive(n.partyId);
        _makeCandidate(n);
    }

    function _makeCandidate(Node storage n) internal {
        if (n.candidate) revert AlreadyCandidate(n.nodeAddress);
        n.candidate = true;
        emit ValidatorCandidate(n.nodeAddress);
    }

    function _removeValidatorRole(address node) internal {
        Node storage n = _nodes[node];
        // A candidate's vote is withdrawn (it never validated).
        if (n.status == NODE_ACTIVE && n.candidate) {
            n.candidate = false;
            emit ValidatorCandidateWithdrawn(node);
            return;
        }
        if (n.status != NODE_ACTIVE || !n.validator) revert NotValidator(node);
        if (_countsAsValidator(node)) _requireValidatorsLeft(1);
        _dropValidator(n);
    }

    function _grantValidator(Node storage n) internal {
        n.validator = true;
        _validatorOrder.push(n.nodeAddress);
        emit ValidatorAdded(n.nodeAddress);
    }

    function _dropValidator(Node storage n) internal {
        n.validator = false;
        // Shift rather than swap-and-pop: the order is the validator order every node reports.
        uint256 last = _validatorOrder.length - 1;
        bool found = false;
        for (uint256 i = 0; i < last; i++) {
            if (!found && _validatorOrder[i] == n.nodeAddress) found = true;
            if (found) _validatorOrder[i] = _validatorOrder[i + 1];
        }
        _validatorOrder.pop();
        emit ValidatorRemoved(n.nodeAddress);
    }

    function _retireNode(Node storage n) internal {
        if (n.validator) _dropValidator(n);
        n.candidate = false;
        n.status = NODE_REMOVED;
        emit NodeRemoved(n.nodeAddress, n.partyId);
    }

    function _requireValidatorsLeft(uint256 leaving) internal view {
        if (_activeValidatorCount() - leaving < minValidators) revert TooFewValidators(minValidators);
    }

    function _setMinValidators(uint16 count) internal {
        if (count < 1 || count > _activeValidatorCount()) revert BadMinValidators(count, _activeValidatorCount());
        minValidators = count;
        emit MinValidatorsChanged(count);
    }
}
