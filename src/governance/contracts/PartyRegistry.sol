// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import "./GovernanceErrors.sol";
import {NodeRegistry} from "./NodeRegistry.sol";

/// @title PartyRegistry
/// @notice Parties (add, suspend, reinstate, freeze, remove), their admin keys and their accounts.
abstract contract PartyRegistry is NodeRegistry {
    function _addParty(bytes32 id, string memory name, uint8 kind, address[] memory admins) internal {
        if (id == bytes32(0)) revert EmptyPartyId();
        if (_parties[id].status != PARTY_NONE) revert PartyIdUsed(id);
        if (kind > OBSERVER) revert BadPartyKind(kind);
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_BYTES) revert BadPartyName();
        if (_partyIds.length >= MAX_PARTIES) revert TooManyParties();
        _claimAdmins(id, admins);
        Party storage party = _parties[id];
        party.id = id;
        party.name = name;
        party.kind = kind;
        party.status = PARTY_ACTIVE;
        party.admins = admins;
        _partyIds.push(id);
        emit PartyAdded(id);
    }

    /// Makes `admins` the admin keys of party `id`: 1 to 16 keys, none an admin of another party or a
    /// registered account.
    function _claimAdmins(bytes32 id, address[] memory admins) internal {
        if (admins.length == 0 || admins.length > MAX_ADMINS) revert BadAdminCount();
        for (uint256 i = 0; i < admins.length; i++) {
            address admin = admins[i];
            if (admin == address(0)) revert ZeroAddress();
            if (_adminParty[admin] != bytes32(0)) revert AdminOfAParty(admin);
            // An admin already has every permission; a second record under another party would make
            // its effective permissions depend on two parties' statuses.
            if (_accountParty(admin) != bytes32(0)) revert AccountOfAParty(admin);
            _adminParty[admin] = id;
        }
    }

    /// Replaces every admin key of an active party (a key may stay by being listed again).
    function _rotateAdmins(bytes32 id, address[] memory admins) internal {
        Party storage party = _parties[id];
        if (party.status != PARTY_ACTIVE) revert PartyNotActive(id);
        for (uint256 i = 0; i < party.admins.length; i++) delete _adminParty[party.admins[i]];
        _claimAdmins(id, admins);
        party.admins = admins;
        emit AdminsRotated(id);
    }

    /// Emergency: an active party loses its vote, its permissions and its nodes until unfrozen.
    function _freezeParty(bytes32 id) internal {
        if (_parties[id].status != PARTY_ACTIVE) revert PartyNotActive(id);
        _requirePartyCanLeave(id);
        _parties[id].status = PARTY_FROZEN;
        emit PartyFrozen(id);
    }

    function _unfreezeParty(bytes32 id) internal {
        if (_parties[id].status != PARTY_FROZEN) revert PartyNotFrozen(id);
        _parties[id].status = PARTY_ACTIVE;
        emit PartyUnfrozen(id);
    }

    function _suspendParty(bytes32 id) internal {
        if (_parties[id].status != PARTY_ACTIVE) revert PartyNotActive(id);
        _requirePartyCanLeave(id);
        _parties[id].status = PARTY_SUSPENDED;
        emit PartySuspended(id);
    }

    function _reinstateParty(bytes32 id) internal {
        if (_parties[id].status != PARTY_SUSPENDED) revert PartyNotSuspended(id);
        _parties[id].status = PARTY_ACTIVE;
        emit PartyReinstated(id);
    }

    function _removeParty(bytes32 id) internal {
        Party storage party = _parties[id];
        if (!_isCurrent(party.status)) revert PartyNotCurrent(id);
        // A suspended or frozen party's validators already left the set; only an active party's count.
        if (party.status == PARTY_ACTIVE) _requirePartyCanLeave(id);
        for (uint256 i = 0; i < _nodeList.length; i++) {
            Node storage node = _nodes[_nodeList[i]];
            if (node.partyId == id && node.status == NODE_ACTIVE) _retireNode(node);
        }
        // Free the admin keys (the party's record keeps the list as history).
        for (uint256 i = 0; i < party.admins.length; i++) delete _adminParty[party.admins[i]];
        party.status = PARTY_REMOVED;
        emit PartyRemoved(id);
    }

    /// Suspending or removing an active party takes its validators out of the set and its vote out of
    /// governance: neither may leave the network without quorum or without anybody able to vote.
    function _requirePartyCanLeave(bytes32 id) internal view {
        uint256 own = 0;
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_nodes[_validatorOrder[i]].partyId == id && _countsAsValidator(_validatorOrder[i])) own++;
        }
        _requireValidatorsLeft(own);
        if (_parties[id].kind != OBSERVER) {
            if (_votingPartyCount() <= 1) revert NoVoterLeft();
        }
    }

    function _votingPartyCount() internal view returns (uint256 count) {
        for (uint256 i = 0; i < _partyIds.length; i++) {
            if (_isVotingParty(_partyIds[i])) count++;
        }
    }

    function _setAccountPermissions(address account, bytes32 partyId, uint8 permissions) internal {
        if (account == address(0)) revert ZeroAddress();
        uint8 status = _parties[partyId].status;
        if (!_isCurrent(status)) revert PartyNotCurrent(partyId);
        if (permissions > ALL_PERMISSIONS) revert BadPermissions(permissions);
        if (_adminParty[account] != bytes32(0)) revert AdminHasAllPermissions(account);
        if (_accounts[account].partyId == bytes32(0)) _accountList.push(account);
        _accounts[account] = Account(partyId, permissions);
        emit AccountPermissionsSet(account, partyId, permissions);
    }
}
