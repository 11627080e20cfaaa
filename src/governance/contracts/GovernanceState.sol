// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import "./GovernanceErrors.sol";

/// @title GovernanceState
/// @notice What every part of the governance contract shares: the constants, the records, the
/// events and the storage layout, with the few reads every part needs. ConsortiumGovernance (the
/// decisions) and GovernanceViews (the listings, reached through ConsortiumGovernance's fallback by
/// DELEGATECALL) both inherit it and declare no storage of their own, so they read the same slots.
abstract contract GovernanceState {
    // ---------------------------------------------------------------- constants

    // Decision types (the `kind` of a proposal).
    uint8 internal constant ADD_PARTY = 0;
    uint8 internal constant SUSPEND_PARTY = 1;
    uint8 internal constant REINSTATE_PARTY = 2;
    uint8 internal constant REMOVE_PARTY = 3;
    uint8 internal constant ADD_NODE = 4;
    uint8 internal constant REMOVE_NODE = 5;
    uint8 internal constant ADD_VALIDATOR = 6;
    uint8 internal constant REMOVE_VALIDATOR = 7;
    uint8 internal constant APPROVE_CODE = 8;
    uint8 internal constant REVOKE_CODE = 9;
    uint8 internal constant UPGRADE_CONTRACT = 10;
    uint8 internal constant CHANGE_POLICY = 11;
    uint8 internal constant SET_ACCOUNT_PERMISSIONS = 12;
    uint8 internal constant SET_COLLECTION = 13;
    uint8 internal constant SET_CHAIN_PARAMETERS = 14;
    uint8 internal constant ROTATE_ADMINS = 15;
    uint8 internal constant FREEZE_PARTY = 16;
    uint8 internal constant UNFREEZE_PARTY = 17;
    uint8 internal constant SET_MIN_VALIDATORS = 18;
    uint8 internal constant DECISION_TYPES = 19;

    /// The chain parameters contract (IChainParameters); a chain without it cannot schedule changes.
    address internal constant CHAIN_PARAMETERS = 0x0000000000000000000000000000000000001002;

    // Party kinds and statuses.
    uint8 internal constant MEMBER = 0;
    uint8 internal constant REGULATOR = 1;
    uint8 internal constant OBSERVER = 2;
    uint8 internal constant PARTY_NONE = 0;
    uint8 internal constant PARTY_ACTIVE = 1;
    uint8 internal constant PARTY_SUSPENDED = 2;
    uint8 internal constant PARTY_REMOVED = 3;
    /// Frozen by the others (a compromised party): no votes, no permissions, no nodes, until unfrozen.
    uint8 internal constant PARTY_FROZEN = 4;

    // Node statuses (0: never added).
    uint8 internal constant NODE_ACTIVE = 1;
    uint8 internal constant NODE_REMOVED = 3;

    // Proposal states.
    uint8 internal constant OPEN = 0;
    uint8 internal constant APPROVED = 1;
    uint8 internal constant REJECTED = 2;
    uint8 internal constant EXPIRED = 3;
    uint8 internal constant FAILED = 4;

    // Votes as recorded per party.
    uint8 internal constant NO_VOTE = 0;
    uint8 internal constant VOTE_YES = 1;
    uint8 internal constant VOTE_NO = 2;

    /// transact | deploy | call: what a party's admin accounts may do.
    uint8 internal constant ALL_PERMISSIONS = 7;

    // Caps that keep every loop bounded; far above what a consortium has.
    uint256 internal constant MAX_PARTIES = 100;
    uint256 internal constant MAX_NODES = 400;
    uint256 internal constant MAX_ADMINS = 16;
    uint256 internal constant MAX_VETO_PARTIES = 16;
    uint256 internal constant MAX_NAME_BYTES = 100;
    uint256 internal constant MAX_ENDPOINT_BYTES = 256;
    uint64 internal constant MAX_VOTING_PERIOD = 365 days;
    uint256 internal constant MAX_COLLECTIONS = 200;
    uint256 internal constant MAX_COLLECTION_MEMBERS = 32;
    uint256 internal constant MAX_COLLECTION_GRANTS = 64;
    uint64 internal constant MAX_RETENTION = 100 * 365 days;
    /// What an active node's key may do: call contracts (the private data anchors check the rest).
    uint8 internal constant NODE_PERMISSIONS = 4;

    // ---------------------------------------------------------------- types

    struct Party {
        bytes32 id;
        string name;
        uint8 kind;
        uint8 status;
        address[] admins;
    }

    struct Node {
        address nodeAddress;
        bytes32 partyId;
        string endpoint;
        bool validator;
        uint8 status;
        bytes32 encryptionKey;
        /// Voted in as a validator; becomes one when the node itself calls activateValidator.
        bool candidate;
    }

    struct Account {
        bytes32 partyId;
        uint8 permissions;
    }

    /// A private data collection: the parties that share its records, the purposes (each with its
    /// legal basis) for which each member party may process them, and the longest retention. The
    /// records live off chain on the members' nodes; PrivateDataAnchors holds their hashes.
    struct Collection {
        bytes32 id;
        /// The controlling party (GDPR controller): the one that may request erasure.
        bytes32 controller;
        uint64 retentionSeconds;
        bytes32[] members;
        /// Grant i: party grantParties[i] may process records for purpose grantPurposes[i] on the
        /// legal basis grantBases[i] (parallel arrays: the legacy code generator cannot copy struct
        /// arrays to storage).
        bytes32[] grantParties;
        bytes32[] grantPurposes;
        bytes32[] grantBases;
    }

    struct Policy {
        uint8 thresholdPercent;
        bool inclusive;
        uint64 votingPeriod;
        bytes32[] vetoParties;
    }

    struct Proposal {
        uint256 id;
        uint8 kind;
        uint8 state;
        bytes32 proposerParty;
        uint64 createdAt;
        uint64 deadline;
        /// Voting parties when the proposal was created: the denominator of the threshold.
        uint16 voters;
        uint16 yes;
        uint16 no;
        /// The policy at creation (the voting period is deadline - createdAt).
        uint8 thresholdPercent;
        bool inclusive;
        bytes32[] vetoParties;
        bytes payload;
        string description;
    }

    // Constructor inputs: the founding state from the consortium file.
    struct PartyInit {
        bytes32 id;
        string name;
        uint8 kind;
        address[] admins;
    }

    struct NodeInit {
        address nodeAddress;
        bytes32 partyId;
        string endpoint;
        bool validator;
        bytes32 encryptionKey;
    }

    struct AccountInit {
        address account;
        bytes32 partyId;
        uint8 permissions;
    }

    struct PolicyInit {
        uint8 decisionType;
        uint8 thresholdPercent;
        bool inclusive;
        uint64 votingPeriod;
        bytes32[] vetoParties;
    }

    // ---------------------------------------------------------------- events (the audit trail)

    event PartyAdded(bytes32 indexed id);
    event PartySuspended(bytes32 indexed id);
    event PartyReinstated(bytes32 indexed id);
    event PartyRemoved(bytes32 indexed id);
    event PartyFrozen(bytes32 indexed id);
    event PartyUnfrozen(bytes32 indexed id);
    event AdminsRotated(bytes32 indexed id);
    event MinValidatorsChanged(uint16 minValidators);
    event NodeAdded(address indexed node, bytes32 indexed party);
    event NodeRemoved(address indexed node, bytes32 indexed party);
    event ValidatorCandidate(address indexed node);
    event ValidatorCandidateWithdrawn(address indexed node);
    event ValidatorAdded(address indexed node);
    event ValidatorRemoved(address indexed node);
    event CodeApproved(bytes32 indexed hash);
    event CodeRevoked(bytes32 indexed hash);
    event ContractUpgraded(address indexed proxy, address indexed implementation);
    event PolicyChanged(uint8 indexed decisionType);
    event AccountPermissionsSet(address indexed account, bytes32 indexed party, uint8 permissions);
    event CollectionSet(bytes32 indexed id);
    event ProposalCreated(uint256 indexed id, uint8 kind, bytes32 indexed party, uint64 deadline);
    event VoteCast(uint256 indexed id, bytes32 indexed party, address voter, bool support);
    event ProposalApproved(uint256 indexed id);
    event ProposalRejected(uint256 indexed id);
    event ProposalExpired(uint256 indexed id);
    event ProposalFailed(uint256 indexed id, bytes reason);

    // ---------------------------------------------------------------- state

    mapping(bytes32 => Party) internal _parties;
    bytes32[] internal _partyIds;
    /// Admin account → its party. An account is an admin of at most one party, so a vote is
    /// attributed to exactly one party.
    mapping(address => bytes32) internal _adminParty;

    mapping(address => Node) internal _nodes;
    address[] internal _nodeList;
    /// Nodes with the validator role, in the order they got it (the order getValidators reports).
    address[] internal _validatorOrder;

    mapping(address => Account) internal _accounts;
    /// Every account ever registered, for listing (registrations are few and never deleted).
    address[] internal _accountList;
    mapping(bytes32 => bool) internal _approvedCode;

    Policy[19] internal _policies;
    /// The validator count no decision may go below; changed by SetMinValidators.
    uint16 public minValidators;

    mapping(bytes32 => Collection) internal _collections;
    bytes32[] internal _collectionIds;

    uint256 public proposalCount;
    mapping(uint256 => Proposal) internal _proposals;
    mapping(uint256 => mapping(bytes32 => uint8)) internal _votes;
    /// The voter set of each proposal, frozen at creation.
    mapping(uint256 => mapping(bytes32 => bool)) internal _eligible;

    // ---------------------------------------------------------------- shared reads

    /// A validator that is active and whose party is active (what getValidators returns).
    function _countsAsValidator(address node) internal view returns (bool) {
        Node storage n = _nodes[node];
        return n.validator && n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE;
    }

    function _activeValidatorCount() internal view returns (uint256 count) {
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_countsAsValidator(_validatorOrder[i])) count++;
        }
    }

    function _isVotingParty(bytes32 id) internal view returns (bool) {
        Party storage party = _parties[id];
        return party.status == PARTY_ACTIVE && party.kind != OBSERVER;
    }

    function _proposal(uint256 id) internal view returns (Proposal storage p) {
        if (id < 1 || id > proposalCount) revert UnknownProposal(id);
        p = _proposals[id];
    }

    /// Active, suspended or frozen: a party that still exists.
    function _isCurrent(uint8 status) internal pure returns (bool) {
        return status == PARTY_ACTIVE || status == PARTY_SUSPENDED || status == PARTY_FROZEN;
    }

    /// The party an account is registered to, unless that party was removed (its record is history).
    function _accountParty(address account) internal view returns (bytes32) {
        bytes32 partyId = _accounts[account].partyId;
        return _parties[partyId].status == PARTY_REMOVED ? bytes32(0) : partyId;
    }

    /// Reverts with `reason` as it is (another call's revert data, error selector and all).
    function _bubble(bytes memory reason) internal pure {
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }
}
