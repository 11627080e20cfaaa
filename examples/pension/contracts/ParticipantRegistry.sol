// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./PensionRoles.sol";

/// Pseudonymous participants: an id (a keyed hash the funds derive; no personal data on chain), the
/// participant's own signing key (to sign requests such as a value transfer), and which funds hold
/// entitlements for them.
contract ParticipantRegistry is PensionRoles {
    error AlreadyRegistered(bytes32 participant);
    error UnknownParticipant(bytes32 participant);
    error AlreadyHolder(bytes32 participant, address fund);
    error NotHolder(bytes32 participant, address fund);

    struct Participant {
        address key;
        address enrolledBy;
        uint64 enrolledAt;
    }

    mapping(bytes32 => Participant) private participants;
    mapping(bytes32 => address[]) private holders;
    bytes32[] private ids;

    event ParticipantRegistered(bytes32 indexed participant, address indexed fund, address key);
    event EntitlementHolderAdded(bytes32 indexed participant, address indexed fund);
    event EntitlementHolderRemoved(bytes32 indexed participant, address indexed fund);

    constructor(address[] memory funds_, address[] memory employers_) PensionRoles(funds_, employers_) {}

    /// A fund enrols a participant and becomes the first holder of entitlements for them.
    function register(bytes32 participant, address key) external onlyFund {
        if (participants[participant].enrolledAt != 0) revert AlreadyRegistered(participant);
        participants[participant] = Participant(key, msg.sender, uint64(block.timestamp));
        ids.push(participant);
        emit ParticipantRegistered(participant, msg.sender, key);
        _addHolder(participant, msg.sender);
    }

    /// The calling fund holds (or no longer holds) entitlements for a participant.
    function addHolder(bytes32 participant) external onlyFund {
        _known(participant);
        _addHolder(participant, msg.sender);
    }

    function removeHolder(bytes32 participant) external onlyFund {
        _known(participant);
        address[] storage list = holders[participant];
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == msg.sender) {
                list[i] = list[list.length - 1];
                list.pop();
                emit EntitlementHolderRemoved(participant, msg.sender);
                return;
            }
        }
        revert NotHolder(participant, msg.sender);
    }

    function participant(bytes32 id) external view returns (Participant memory) {
        return participants[id];
    }

    function keyOf(bytes32 id) external view returns (address) {
        return _known(id).key;
    }

    function holdersOf(bytes32 id) external view returns (address[] memory) {
        return holders[id];
    }

    function isHolder(bytes32 id, address fund) public view returns (bool) {
        address[] storage list = holders[id];
        for (uint256 i = 0; i < list.length; i++) if (list[i] == fund) return true;
        return false;
    }

    function count() external view returns (uint256) {
        return ids.length;
    }

    function _known(bytes32 id) private view returns (Participant storage p) {
        p = participants[id];
        if (p.enrolledAt == 0) revert UnknownParticipant(id);
    }

    function _addHolder(bytes32 id, address fund) private {
        if (isHolder(id, fund)) revert AlreadyHolder(id, fund);
        holders[id].push(fund);
        emit EntitlementHolderAdded(id, fund);
    }
}
