// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ConsortiumGovernance} from "./ConsortiumGovernance.sol";
import {GovernanceState} from "./GovernanceState.sol";
import {GovernanceViews} from "./GovernanceViews.sol";

/// @title PrivateDataAnchors
/// @notice The on-chain side of private data collections: for each record, its hash, a keyed
/// commitment to its purposes, expiry and writer (never the data, the key, the subject or the
/// purposes in clear); erasure requests by the collection's controlling party; each member node's
/// confirmation that it deleted a record; and each node's latest access-log head. The anchor stays
/// after erasure as evidence that the record existed and was purged.
///
/// Design notes (the why):
/// - It lives at a fixed address in the genesis (no constructor state) and reads the collections,
///   node parties and admins from the governance contract at its fixed address, so the rules are
///   the ones governance votes on, as of the block that runs the transaction.
/// - Key ids, subject ids and the purposes commitment are HMAC-SHA256 values under a secret shared
///   only by the collection's member nodes (docs/privacy.md): a plain hash of a low-entropy id (a
///   BSN) is reversed by brute force in seconds. So this contract cannot check purposes against the
///   collection; the receiving members do, before they store a record. The record hash covers a
///   random salt kept off chain, so it cannot be confirmed by guessing the data.
/// - Access-log heads only move forward per node: a shortened log cannot be re-anchored.
/// - New checks use custom errors; the older require strings are kept because clients and tests
///   match them.
/// - An erased key is never anchored again: the evidence of its erasure must not be overwritten.
/// - Consent (GDPR Art. 7) is recorded by the controlling party's nodes, per keyed subject id,
///   party and purpose, and only for a grant of the collection whose legal basis is "consent": the
///   members' nodes read it at their head before they let a consent-based read through or hold a
///   record. Party and purpose are in clear (they are the collection's grants, public anyway); the
///   subject is the keyed subject id, so the chain shows that someone consented, never who.
contract PrivateDataAnchors {
    address internal constant GOVERNANCE = 0x0000000000000000000000000000000000001000;
    uint256 internal constant MAX_KEYS_PER_CONFIRMATION = 100;

    struct Anchor {
        bytes32 collection;
        bytes32 keyId;
        bytes32 recordHash;
        /// HMAC of the pseudonymous subject id under the collection secret (for erasure by subject).
        bytes32 subjectId;
        /// HMAC of the key and the purposes under the collection secret: members check a delivered
        /// record against it; others learn nothing about the purposes.
        bytes32 purposesHash;
        uint64 expiresAt;
        address writer;
        uint64 anchoredAt;
        /// When the first member confirmed deleting it (0 while it is live).
        uint64 erasedAt;
        /// The erasure request that deleted it (0: retention expiry).
        uint256 erasureRequest;
    }

    struct ErasureRequest {
        uint256 id;
        bytes32 collection;
        /// Exactly one of keyId and subjectId is set.
        bytes32 keyId;
        bytes32 subjectId;
        address requester;
        uint64 requestedAt;
    }

    event RecordAnchored(bytes32 indexed collection, bytes32 indexed keyId, bytes32 recordHash, address indexed writer);
    event ErasureRequested(uint256 indexed id, bytes32 indexed collection, bytes32 keyId, bytes32 subjectId);
    event DeletionConfirmed(bytes32 indexed collection, bytes32 indexed keyId, address indexed node, uint256 request);
    event AccessLogHeadAnchored(address indexed node, bytes32 head, uint64 count);

    /// The sender of anchorAccessLogHead is not an active node of an active party.
    error NotActiveNode(address sender);
    /// A head must name a non-empty log (head and count both set).
    error EmptyAccessLogHead();
    /// A node's log only grows: the count must be at least the last anchored one.
    error AccessLogHeadRegressed(uint64 anchoredCount, uint64 count);
    /// An anchor needs a key id, record hash, subject id and purposes commitment.
    error EmptyAnchorField();

    /// setConsent was sent by a key that is not an active node of the collection's controlling party.
    error NotControllerNode(address sender);
    /// Consent can only be recorded for a member party of the collection.
    error ConsentPartyNotMember(bytes32 party);
    /// The collection holds no grant with legal basis "consent" for this party and purpose.
    error NoConsentGrant(bytes32 party, bytes32 purpose);
    /// setConsent needs a subject id, a party and a purpose.
    error EmptyConsentField();

    /// The consent of one data subject (keyed subject id) for one party and purpose.
    struct Consent {
        bool granted;
        /// Block time of the last change (0: never recorded, i.e. not granted).
        uint64 changedAt;
    }

    event ConsentSet(bytes32 indexed collection, bytes32 indexed subjectId, bytes32 indexed party, bytes32 purpose, bool granted);

    bytes32 internal constant CONSENT_BASIS = "consent";

    struct AccessLogHead {
        bytes32 head;
        uint64 count;
        uint64 blockNumber;
    }
    event RemovalPurgeConfirmed(bytes32 indexed collection, bytes32 indexed keyId, address indexed node);

    mapping(bytes32 => Anchor) private _anchors;
    mapping(uint256 => ErasureRequest) private _requests;
    uint256 public erasureRequestCount;
    mapping(bytes32 => address[]) private _confirmers;
    mapping(bytes32 => mapping(address => bool)) private _confirmed;
    mapping(address => AccessLogHead) private _logHeads;
    /// Nodes of parties removed from a collection that confirmed purging a record (kept apart from
    /// _confirmers: the record stays live for the remaining members).
    mapping(bytes32 => address[]) private _removalPurgers;
    mapping(bytes32 => mapping(address => bool)) private _removalPurged;
    /// keccak(collection, subjectId, party, purpose) => consent.
    mapping(bytes32 => Consent) private _consents;

    /// @notice Anchors (or replaces) a record. Only an active node of a member party may anchor.
    function anchor(
        bytes32 collection,
        bytes32 keyId,
        bytes32 recordHash,
        bytes32 subjectId,
        bytes32 purposesHash,
        uint64 expiresAt
    ) external {
        GovernanceState.Collection memory c = _collection(collection);
        _requireMember(c, _nodeParty(msg.sender));
        if (keyId == bytes32(0) || recordHash == bytes32(0) || subjectId == bytes32(0) || purposesHash == bytes32(0)) revert EmptyAnchorField();
        require(expiresAt > block.timestamp, "anchors: the record is already past its retention");
        require(expiresAt <= block.timestamp + c.retentionSeconds, "anchors: retention is longer than the collection allows");
        Anchor storage a = _anchors[_id(collection, keyId)];
        require(a.erasedAt == 0, "anchors: the key was erased and cannot be written again");
        a.collection = collection;
        a.keyId = keyId;
        a.recordHash = recordHash;
        a.subjectId = subjectId;
        a.purposesHash = purposesHash;
        a.expiresAt = expiresAt;
        a.writer = msg.sender;
        a.anchoredAt = uint64(block.timestamp);
        emit RecordAnchored(collection, keyId, recordHash, msg.sender);
    }

    /// @notice Asks every member to erase one record (keyId) or all records of a subject (subjectId).
    /// Only the collection's controlling party may ask: one of its admin accounts or active nodes.
    function requestErasure(bytes32 collection, bytes32 keyId, bytes32 subjectId) external returns (uint256 id) {
        GovernanceState.Collection memory c = _collection(collection);
        bytes32 party = _nodeParty(msg.sender);
        if (party == bytes32(0)) party = GovernanceViews(GOVERNANCE).adminPartyOf(msg.sender);
        require(party != bytes32(0) && party == c.controller, "anchors: only the controlling party of the collection may request erasure");
        require((keyId == bytes32(0)) != (subjectId == bytes32(0)), "anchors: name either a key or a subject");
        if (keyId != bytes32(0)) require(_anchors[_id(collection, keyId)].anchoredAt != 0, "anchors: no such record");
        id = ++erasureRequestCount;
        _requests[id] = ErasureRequest(id, collection, keyId, subjectId, msg.sender, uint64(block.timestamp));
        emit ErasureRequested(id, collection, keyId, subjectId);
    }

    /// @notice A member node confirms that it deleted records, for an erasure request or (request 0)
    /// because they are past their retention.
    function confirmDeletion(bytes32 collection, bytes32[] calldata keyIds, uint256 requestId) external {
        require(keyIds.length > 0 && keyIds.length <= MAX_KEYS_PER_CONFIRMATION, "anchors: confirm 1 to 100 keys at a time");
        GovernanceState.Collection memory c = _collection(collection);
        _requireMember(c, _nodeParty(msg.sender));
        ErasureRequest storage r = _requests[requestId];
        if (requestId != 0) require(r.id == requestId && r.collection == collection, "anchors: no such erasure request for this collection");
        for (uint256 i = 0; i < keyIds.length; i++) {
            bytes32 id = _id(collection, keyIds[i]);
            Anchor storage a = _anchors[id];
            require(a.anchoredAt != 0, "anchors: no such record");
            if (requestId == 0) {
                require(block.timestamp >= a.expiresAt, "anchors: the record is not past its retention");
            } else {
                require(r.keyId == keyIds[i] || (r.subjectId != bytes32(0) && r.subjectId == a.subjectId), "anchors: the request does not cover this record");
            }
            if (a.erasedAt == 0) {
                a.erasedAt = uint64(block.timestamp);
                a.erasureRequest = requestId;
            }
            if (!_confirmed[id][msg.sender]) {
                _confirmed[id][msg.sender] = true;
                _confirmers[id].push(msg.sender);
                emit DeletionConfirmed(collection, keyIds[i], msg.sender, requestId);
            }
        }
    }

    /// @notice Anchors the calling node's access-log head (hash of its last entry and entry count), so
    /// a log later shortened or rewritten no longer matches the chain. Only active nodes; the count
    /// never goes back.
    function anchorAccessLogHead(bytes32 head, uint64 count) external {
        if (_nodeParty(msg.sender) == bytes32(0)) revert NotActiveNode(msg.sender);
        if (head == bytes32(0) || count == 0) revert EmptyAccessLogHead();
        AccessLogHead storage h = _logHeads[msg.sender];
        if (count < h.count) revert AccessLogHeadRegressed(h.count, count);
        h.head = head;
        h.count = count;
        h.blockNumber = uint64(block.number);
        emit AccessLogHeadAnchored(msg.sender, head, count);
    }

    /// The latest access-log head a node anchored (all zero if none).
    function accessLogHead(address node) external view returns (bytes32 head, uint64 count, uint64 blockNumber) {
        AccessLogHead storage h = _logHeads[node];
        return (h.head, h.count, h.blockNumber);
    }

    /// @notice A node of a party that is no longer a member of the collection (a SetCollection vote
    /// removed it) confirms that it purged the records of the collection it held.
    function confirmRemovalPurge(bytes32 collection, bytes32[] calldata keyIds) external {
        require(keyIds.length > 0 && keyIds.length <= MAX_KEYS_PER_CONFIRMATION, "anchors: confirm 1 to 100 keys at a time");
        GovernanceState.Collection memory c = _collection(collection);
        bytes32 party = _nodeParty(msg.sender);
        require(party != bytes32(0), "anchors: sender is not an active node");
        for (uint256 i = 0; i < c.members.length; i++) require(c.members[i] != party, "anchors: the party is still a member of this collection");
        for (uint256 i = 0; i < keyIds.length; i++) {
            bytes32 id = _id(collection, keyIds[i]);
            require(_anchors[id].anchoredAt != 0, "anchors: no such record");
            if (!_removalPurged[id][msg.sender]) {
                _removalPurged[id][msg.sender] = true;
                _removalPurgers[id].push(msg.sender);
                emit RemovalPurgeConfirmed(collection, keyIds[i], msg.sender);
            }
        }
    }

    /// @notice Records a data subject's consent, or its withdrawal, for a party and a purpose of a
    /// collection. Only an active node of the collection's controlling party may, only for a member
    /// party, and only where the collection grants that purpose to that party on the basis "consent".
    function setConsent(bytes32 collection, bytes32 subjectId, bytes32 party, bytes32 purpose, bool granted) external {
        if (subjectId == bytes32(0) || party == bytes32(0) || purpose == bytes32(0)) revert EmptyConsentField();
        GovernanceState.Collection memory c = _collection(collection);
        bytes32 sender = _nodeParty(msg.sender);
        if (sender == bytes32(0) || sender != c.controller) revert NotControllerNode(msg.sender);
        bool member = false;
        for (uint256 i = 0; i < c.members.length; i++) if (c.members[i] == party) member = true;
        if (!member) revert ConsentPartyNotMember(party);
        bool grant = false;
        for (uint256 i = 0; i < c.grantParties.length; i++) {
            if (c.grantParties[i] == party && c.grantPurposes[i] == purpose && c.grantBases[i] == CONSENT_BASIS) grant = true;
        }
        if (!grant) revert NoConsentGrant(party, purpose);
        Consent storage k = _consents[keccak256(abi.encode(collection, subjectId, party, purpose))];
        k.granted = granted;
        k.changedAt = uint64(block.timestamp);
        emit ConsentSet(collection, subjectId, party, purpose, granted);
    }

    /// A subject's consent for a party and purpose (not granted, changedAt 0 when never recorded).
    function consent(bytes32 collection, bytes32 subjectId, bytes32 party, bytes32 purpose) external view returns (bool granted, uint64 changedAt) {
        Consent storage k = _consents[keccak256(abi.encode(collection, subjectId, party, purpose))];
        return (k.granted, k.changedAt);
    }

    /// The nodes of removed parties that confirmed purging a record.
    function removalPurgeConfirmations(bytes32 collection, bytes32 keyId) external view returns (address[] memory) {
        return _removalPurgers[_id(collection, keyId)];
    }

    /// An unknown record gives an anchor with anchoredAt 0.
    function getAnchor(bytes32 collection, bytes32 keyId) external view returns (Anchor memory) {
        return _anchors[_id(collection, keyId)];
    }

    function getErasureRequest(uint256 id) external view returns (ErasureRequest memory) {
        return _requests[id];
    }

    /// The nodes that confirmed deleting a record, in the order they did.
    function deletionConfirmations(bytes32 collection, bytes32 keyId) external view returns (address[] memory) {
        return _confirmers[_id(collection, keyId)];
    }

    function _id(bytes32 collection, bytes32 keyId) private pure returns (bytes32) {
        return keccak256(abi.encode(collection, keyId));
    }

    function _collection(bytes32 id) private view returns (GovernanceState.Collection memory c) {
        c = GovernanceViews(GOVERNANCE).getCollection(id);
        require(c.id != bytes32(0), "anchors: unknown collection");
    }

    function _nodeParty(address node) private view returns (bytes32) {
        return ConsortiumGovernance(GOVERNANCE).nodePartyOf(node);
    }

    function _requireMember(GovernanceState.Collection memory c, bytes32 party) private pure {
        require(party != bytes32(0), "anchors: sender is not an active node");
        for (uint256 i = 0; i < c.members.length; i++) if (c.members[i] == party) return;
        revert("anchors: not a member of this collection");
    }
}
