// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import "./GovernanceErrors.sol";
import {GovernanceState} from "./GovernanceState.sol";

/// @title Collections
/// @notice Private data collections: members, purpose grants with their legal basis, retention.
abstract contract Collections is GovernanceState {
    /// Creates or replaces a collection. Members must be current parties; each grant names a member,
    /// a purpose and a legal basis (one of the GDPR Art. 6(1) bases); the controller must be a member.
    function _setCollection(
        bytes32 id,
        bytes32 controller,
        uint64 retention,
        bytes32[] memory members,
        bytes32[] memory grantParties,
        bytes32[] memory grantPurposes,
        bytes32[] memory grantBases
    ) internal {
        if (id == bytes32(0)) revert EmptyCollectionId();
        if (retention < 1 || retention > MAX_RETENTION) revert BadRetention(retention);
        if (members.length == 0 || members.length > MAX_COLLECTION_MEMBERS) revert BadMemberCount();
        if (grantParties.length != grantPurposes.length || grantPurposes.length != grantBases.length) revert GrantShape();
        if (grantParties.length > MAX_COLLECTION_GRANTS) revert TooManyGrants();
        bool controllerIsMember = false;
        for (uint256 i = 0; i < members.length; i++) {
            if (_parties[members[i]].status != PARTY_ACTIVE) revert MemberNotActive(members[i]);
            for (uint256 j = 0; j < i; j++) if (members[j] == members[i]) revert DuplicateMember(members[i]);
            if (members[i] == controller) controllerIsMember = true;
        }
        if (!controllerIsMember) revert ControllerNotMember(controller);
        for (uint256 i = 0; i < grantParties.length; i++) {
            if (grantPurposes[i] == bytes32(0) || grantBases[i] == bytes32(0)) revert EmptyPurposeOrBasis();
            if (!_isLegalBasis(grantBases[i])) revert NotALegalBasis(grantBases[i]);
            bool member = false;
            for (uint256 j = 0; j < members.length; j++) if (members[j] == grantParties[i]) member = true;
            if (!member) revert GrantToNonMember(grantParties[i]);
        }
        Collection storage c = _collections[id];
        if (c.id == bytes32(0)) {
            if (_collectionIds.length >= MAX_COLLECTIONS) revert TooManyCollections();
            _collectionIds.push(id);
            c.id = id;
        }
        c.controller = controller;
        c.retentionSeconds = retention;
        c.members = members;
        c.grantParties = grantParties;
        c.grantPurposes = grantPurposes;
        c.grantBases = grantBases;
        emit CollectionSet(id);
    }

    /// The GDPR Art. 6(1) bases, as LEGAL_BASES in src/governance/decisions.ts (a unit test holds
    /// the two lists equal): a vote cannot record a basis the documentation does not name.
    function _isLegalBasis(bytes32 b) internal pure returns (bool) {
        return b == bytes32("consent") || b == bytes32("contract") || b == bytes32("legal-obligation") || b == bytes32("vital-interests")
            || b == bytes32("public-task") || b == bytes32("legitimate-interests");
    }
}
