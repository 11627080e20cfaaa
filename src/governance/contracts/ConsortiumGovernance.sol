// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IChainParameters, ICodeApprovals, IGovernedProxy} from "./GovernanceInterfaces.sol";
import "./GovernanceErrors.sol";

/// @title ConsortiumGovernance
/// @notice The consortium's rules, on chain: parties, their admins, nodes and accounts, approved
/// contract code, and the votes that change any of them. Every node reads it from the state of the
/// parent block (who may connect, validate, transact, deploy), so every node decides the same.
///
/// Design notes (the why):
/// - It lives at a fixed address. The genesis is made by running this constructor in a scratch EVM
///   and copying the code and storage there, so nothing may depend on the address it was deployed
///   at: no immutables and no `address(this)` in the constructor.
/// - One vote per party, never per account: a party with more admin keys gets no more say.
/// - A proposal keeps the voter set, threshold and veto parties of the moment it was created, so a
///   vote can never be won by changing the rules or the members while it runs.
/// - A proposal is refused when its action could not be applied now (propose runs it as a
///   preflight that always reverts), and checked again when it executes: the state can change
///   while a proposal is open, and one that can no longer be applied ends Failed with the reason.
/// - A validator added by vote is a candidate until its own node calls activateValidator: a vote
///   for a node that never runs cannot take the network below quorum.
/// - Loops run over parties and nodes, which a consortium has tens of; hard caps keep them bounded.
contract ConsortiumGovernance is ICodeApprovals {
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

    mapping(bytes32 => Party) private _parties;
    bytes32[] private _partyIds;
    /// Admin account → its party. An account is an admin of at most one party, so a vote is
    /// attributed to exactly one party.
    mapping(address => bytes32) private _adminParty;

    mapping(address => Node) private _nodes;
    address[] private _nodeList;
    /// Nodes with the validator role, in the order they got it (the order getValidators reports).
    address[] private _validatorOrder;

    mapping(address => Account) private _accounts;
    /// Every account ever registered, for listing (registrations are few and never deleted).
    address[] private _accountList;
    mapping(bytes32 => bool) private _approvedCode;

    Policy[19] private _policies;
    /// The validator count no decision may go below; changed by SetMinValidators.
    uint16 public minValidators;

    mapping(bytes32 => Collection) private _collections;
    bytes32[] private _collectionIds;

    uint256 public proposalCount;
    mapping(uint256 => Proposal) private _proposals;
    mapping(uint256 => mapping(bytes32 => uint8)) private _votes;
    /// The voter set of each proposal, frozen at creation.
    mapping(uint256 => mapping(bytes32 => bool)) private _eligible;

    // ---------------------------------------------------------------- genesis

    /// minValidators comes first only because the legacy code generator runs out of stack decoding
    /// four struct arrays followed by a fifth argument.
    /// @param minValidators_ the validator count that no decision may go below (at least 1)
    /// @param parties founding parties (all active)
    /// @param nodes their nodes; `validator` nodes form the first validator set, in this order
    /// @param accounts permissioned accounts of the founding parties
    /// @param policies exactly one policy per decision type (0..18), in any order
    constructor(
        uint16 minValidators_,
        PartyInit[] memory parties,
        NodeInit[] memory nodes,
        AccountInit[] memory accounts,
        PolicyInit[] memory policies
    ) {
        if (minValidators_ < 1) revert MinValidatorsTooLow();
        minValidators = minValidators_;
        for (uint256 i = 0; i < parties.length; i++) {
            _addParty(parties[i].id, parties[i].name, parties[i].kind, parties[i].admins);
        }
        if (_votingPartyCount() == 0) revert NoFoundingVoter();
        for (uint256 i = 0; i < nodes.length; i++) {
            NodeInit memory n = nodes[i];
            _addNode(n.nodeAddress, n.partyId, n.endpoint, n.encryptionKey);
            // Founding validators validate from block 0 (no candidate step: the network starts with them).
            if (n.validator) _grantValidator(_nodes[n.nodeAddress]);
        }
        for (uint256 i = 0; i < accounts.length; i++) {
            _setAccountPermissions(accounts[i].account, accounts[i].partyId, accounts[i].permissions);
        }
        // Every decision type needs a policy from the start: a missing one would make that decision
        // impossible (or trivially easy), and the consortium file is where defaults are filled in.
        uint256 seen = 0;
        for (uint256 i = 0; i < policies.length; i++) {
            PolicyInit memory p = policies[i];
            if (p.decisionType >= DECISION_TYPES) revert UnknownDecisionType(p.decisionType);
            if (seen & (1 << p.decisionType) != 0) revert DuplicatePolicy(p.decisionType);
            seen |= 1 << p.decisionType;
            _setPolicy(p.decisionType, p.thresholdPercent, p.inclusive, p.votingPeriod, p.vetoParties);
        }
        if (seen != (1 << DECISION_TYPES) - 1) revert MissingPolicy();
        if (_activeValidatorCount() < minValidators_) revert TooFewFoundingValidators(minValidators_);
    }

    // ---------------------------------------------------------------- proposals and votes

    /// @notice Opens a proposal. Only an admin of an active member or regulator party may propose;
    /// proposing is not voting (the proposer's party votes like any other).
    /// @param kind the decision type (0..18)
    /// @param payload abi.encode of the decision's arguments (see the spec). The decision must apply
    /// to the current state (see preflight), else the proposal is refused with the action's reason.
    function propose(uint8 kind, bytes calldata payload, string calldata description) external returns (uint256 id) {
        bytes32 party = _voterParty(msg.sender);
        if (kind >= DECISION_TYPES) revert UnknownDecisionType(kind);
        // A party rotates only its own admin keys.
        if (kind == ROTATE_ADMINS && payload.length >= 32 && bytes32(payload[:32]) != party) revert NotOwnParty(party);
        try this.preflight(kind, payload) {} catch (bytes memory reason) {
            // A payload that does not decode reverts without data.
            if (reason.length == 0) revert PayloadMismatch(kind);
            if (bytes4(reason) != PreflightPassed.selector) _bubble(reason);
        }
        Policy storage policy = _policies[kind];
        id = ++proposalCount;
        Proposal storage p = _proposals[id];
        p.id = id;
        p.kind = kind;
        p.state = OPEN;
        p.proposerParty = party;
        p.createdAt = uint64(block.timestamp);
        p.deadline = uint64(block.timestamp) + policy.votingPeriod;
        p.thresholdPercent = policy.thresholdPercent;
        p.inclusive = policy.inclusive;
        p.vetoParties = policy.vetoParties;
        p.payload = payload;
        p.description = description;
        // The party to be frozen has no say in its own freeze.
        bytes32 excluded = kind == FREEZE_PARTY ? bytes32(payload[:32]) : bytes32(0);
        uint16 voters = 0;
        for (uint256 i = 0; i < _partyIds.length; i++) {
            bytes32 pid = _partyIds[i];
            if (pid != excluded && _isVotingParty(pid)) {
                _eligible[id][pid] = true;
                voters++;
            }
        }
        p.voters = voters;
        emit ProposalCreated(id, kind, party, p.deadline);
    }

    /// @notice Casts the vote of the caller's party. The vote that decides the proposal also
    /// executes it (yes reaching the threshold) or rejects it (a veto, or yes can no longer reach it).
    function vote(uint256 id, bool support) external {
        Proposal storage p = _openProposal(id);
        bytes32 party = _voterParty(msg.sender);
        if (!_eligible[id][party]) revert NotEligible(party);
        if (_votes[id][party] != NO_VOTE) revert AlreadyVoted(party);
        _votes[id][party] = support ? VOTE_YES : VOTE_NO;
        _tally(p);
        emit VoteCast(id, party, msg.sender, support);

        if (!support && _isVetoParty(p, party)) {
            _close(p, REJECTED);
        } else if (_meetsThreshold(p, p.yes)) {
            _execute(p);
        } else if (!_meetsThreshold(p, p.voters - p.no)) {
            // Even if every party that has not voted says yes, the threshold is out of reach.
            _close(p, REJECTED);
        }
    }

    /// @notice Marks a proposal whose voting period ended without a decision as Expired. Anyone may call it.
    function finalize(uint256 id) external {
        Proposal storage p = _proposal(id);
        if (p.state == EXPIRED) revert ProposalIsExpired(id);
        if (p.state != OPEN) revert ProposalDecided(id);
        if (block.timestamp <= p.deadline) revert VotingPeriodNotOver(id, p.deadline);
        _close(p, EXPIRED);
    }

    /// @notice Applies a decision. Only this contract calls it, for an approved proposal: running it as
    /// a call of its own lets a failing action revert alone while the deciding vote still counts.
    function executeDecision(uint8 kind, bytes calldata payload) external {
        if (msg.sender != address(this)) revert OnlyApprovedProposal();
        if (kind == ADD_PARTY) {
            (bytes32 id, string memory name, uint8 partyKind, address[] memory admins) =
                abi.decode(payload, (bytes32, string, uint8, address[]));
            _addParty(id, name, partyKind, admins);
        } else if (kind == SUSPEND_PARTY) {
            _suspendParty(abi.decode(payload, (bytes32)));
        } else if (kind == REINSTATE_PARTY) {
            _reinstateParty(abi.decode(payload, (bytes32)));
        } else if (kind == REMOVE_PARTY) {
            _removeParty(abi.decode(payload, (bytes32)));
        } else if (kind == ADD_NODE) {
            (address node, bytes32 partyId, string memory endpoint, bool validator, bytes32 encryptionKey) =
                abi.decode(payload, (address, bytes32, string, bool, bytes32));
            _addNode(node, partyId, endpoint, encryptionKey);
            if (validator) _makeCandidate(_nodes[node]);
        } else if (kind == REMOVE_NODE) {
            _removeNode(abi.decode(payload, (address)));
        } else if (kind == ADD_VALIDATOR) {
            _addValidator(abi.decode(payload, (address)));
        } else if (kind == REMOVE_VALIDATOR) {
            _removeValidatorRole(abi.decode(payload, (address)));
        } else if (kind == ROTATE_ADMINS) {
            (bytes32 id, address[] memory admins) = abi.decode(payload, (bytes32, address[]));
            _rotateAdmins(id, admins);
        } else if (kind == FREEZE_PARTY) {
            _freezeParty(abi.decode(payload, (bytes32)));
        } else if (kind == UNFREEZE_PARTY) {
            _unfreezeParty(abi.decode(payload, (bytes32)));
        } else if (kind == SET_MIN_VALIDATORS) {
            _setMinValidators(abi.decode(payload, (uint16)));
        } else if (kind == SET_CHAIN_PARAMETERS) {
            if (CHAIN_PARAMETERS.code.length == 0) revert NoChainParametersContract(CHAIN_PARAMETERS);
            IChainParameters(CHAIN_PARAMETERS).schedule(abi.decode(payload, (bytes)));
        } else if (kind == APPROVE_CODE) {
            _approveCode(abi.decode(payload, (bytes32)));
        } else if (kind == REVOKE_CODE) {
            _revokeCode(abi.decode(payload, (bytes32)));
        } else if (kind == UPGRADE_CONTRACT) {
            (address proxy, address implementation) = abi.decode(payload, (address, address));
            _upgradeContract(proxy, implementation);
        } else if (kind == CHANGE_POLICY) {
            (uint8 decisionType, uint8 threshold, bool inclusive, uint64 period, bytes32[] memory veto) =
                abi.decode(payload, (uint8, uint8, bool, uint64, bytes32[]));
            _setPolicy(decisionType, threshold, inclusive, period, veto);
        } else if (kind == SET_ACCOUNT_PERMISSIONS) {
            (address account, bytes32 partyId, uint8 permissions) = abi.decode(payload, (address, bytes32, uint8));
            _setAccountPermissions(account, partyId, permissions);
        } else if (kind == SET_COLLECTION) {
            (
                bytes32 id,
                bytes32 controller,
                uint64 retention,
                bytes32[] memory members,
                bytes32[] memory grantParties,
                bytes32[] memory grantPurposes,
                bytes32[] memory grantBases
            ) = abi.decode(payload, (bytes32, bytes32, uint64, bytes32[], bytes32[], bytes32[], bytes32[]));
            _setCollection(id, controller, retention, members, grantParties, grantPurposes, grantBases);
        } else {
            revert UnknownDecisionType(kind);
        }
    }

    /// @notice Runs decision `kind` against the current state and undoes it: it always reverts, with
    /// PreflightPassed() when the decision would apply, else with the decision's own error (no data
    /// when the payload does not decode). propose() calls it; an eth_call may too.
    function preflight(uint8 kind, bytes calldata payload) external {
        try this.executeDecision(kind, payload) {} catch (bytes memory reason) {
            _bubble(reason);
        }
        revert PreflightPassed();
    }

    /// @notice Makes the calling node, a validator candidate, an active validator. Only the node's own
    /// key can send it, so a node becomes a validator only once it runs (and it sends this only when
    /// synced and connected to the other validators).
    function activateValidator() external {
        Node storage n = _nodes[msg.sender];
        if (!n.candidate) revert NotCandidate(msg.sender);
        if (n.status != NODE_ACTIVE) revert NodeNotActive(msg.sender);
        if (_parties[n.partyId].status != PARTY_ACTIVE) revert PartyNotActive(n.partyId);
        n.candidate = false;
        _grantValidator(n);
    }

    // ---------------------------------------------------------------- views the nodes use

    /// Active validator nodes of active parties, in the order they became validators.
    function getValidators() external view returns (address[] memory validators) {
        validators = new address[](_activeValidatorCount());
        uint256 n = 0;
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_countsAsValidator(_validatorOrder[i])) validators[n++] = _validatorOrder[i];
        }
    }

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

    /// Whether a node may connect: the node is active and so is its party.
    function isNodeAllowed(address node) external view returns (bool) {
        Node storage n = _nodes[node];
        return n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE;
    }

    /// Effective permission bits (1 transact, 2 deploy, 4 call): all of them for an admin of an active
    /// party, the registered bits for an account of an active party, `call` for the key of an allowed
    /// node (it anchors private data; the anchors contract decides what it may anchor), and none
    /// otherwise.
    function permissionsOf(address account) external view returns (uint8) {
        bytes32 adminOf = _adminParty[account];
        if (adminOf != bytes32(0)) return _parties[adminOf].status == PARTY_ACTIVE ? ALL_PERMISSIONS : 0;
        Account storage a = _accounts[account];
        uint8 bits = 0;
        if (a.partyId != bytes32(0) && _parties[a.partyId].status == PARTY_ACTIVE) bits = a.permissions;
        if (nodePartyOf(account) != bytes32(0)) bits |= NODE_PERMISSIONS;
        return bits;
    }

    /// The party of an active node of an active party (zero for anything else).
    function nodePartyOf(address node) public view returns (bytes32) {
        Node storage n = _nodes[node];
        return n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE ? n.partyId : bytes32(0);
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

    function isCodeApproved(bytes32 runtimeCodeHash) external view returns (bool) {
        return _approvedCode[runtimeCodeHash];
    }

    // ---------------------------------------------------------------- other views

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

    // ---------------------------------------------------------------- voting internals

    function _proposal(uint256 id) private view returns (Proposal storage p) {
        if (id < 1 || id > proposalCount) revert UnknownProposal(id);
        p = _proposals[id];
    }

    function _openProposal(uint256 id) private view returns (Proposal storage p) {
        p = _proposal(id);
        // Past the deadline it is expired even before anyone calls finalize.
        if (p.state == EXPIRED || (p.state == OPEN && block.timestamp > p.deadline)) revert ProposalIsExpired(id);
        if (p.state != OPEN) revert ProposalDecided(id);
    }

    function _voterParty(address account) private view returns (bytes32 party) {
        party = _adminParty[account];
        if (party == bytes32(0) || !_isVotingParty(party)) revert NotVotingAdmin(account);
    }

    function _isVotingParty(bytes32 id) private view returns (bool) {
        Party storage party = _parties[id];
        return party.status == PARTY_ACTIVE && party.kind != OBSERVER;
    }

    function _votingPartyCount() private view returns (uint256 count) {
        for (uint256 i = 0; i < _partyIds.length; i++) {
            if (_isVotingParty(_partyIds[i])) count++;
        }
    }

    function _isVetoParty(Proposal storage p, bytes32 party) private view returns (bool) {
        for (uint256 i = 0; i < p.vetoParties.length; i++) {
            if (p.vetoParties[i] == party) return true;
        }
        return false;
    }

    /// Recounts a proposal over its voter set as it stands now: a party suspended (or removed) since
    /// the proposal was created no longer counts toward the votes needed, nor does its vote.
    function _tally(Proposal storage p) private {
        uint16 voters = 0;
        uint16 yes = 0;
        uint16 no = 0;
        for (uint256 i = 0; i < _partyIds.length; i++) {
            bytes32 pid = _partyIds[i];
            if (!_eligible[p.id][pid] || !_isVotingParty(pid)) continue;
            voters++;
            uint8 v = _votes[p.id][pid];
            if (v == VOTE_YES) yes++;
            else if (v == VOTE_NO) no++;
        }
        p.voters = voters;
        p.yes = yes;
        p.no = no;
    }

    /// yes * 100 against threshold * voters, so that 50% of 3 parties needs 2 with > and with >=.
    function _meetsThreshold(Proposal storage p, uint256 yes) private view returns (bool) {
        uint256 have = yes * 100;
        uint256 need = uint256(p.thresholdPercent) * p.voters;
        return p.inclusive ? have >= need : have > need;
    }

    function _close(Proposal storage p, uint8 state) private {
        p.state = state;
        if (state == REJECTED) emit ProposalRejected(p.id);
        else if (state == EXPIRED) emit ProposalExpired(p.id);
    }

    function _execute(Proposal storage p) private {
        // Closed before the action runs: an upgrade calls out, and a re-entrant vote must find the
        // proposal decided.
        p.state = APPROVED;
        uint256 gasBefore = gasleft();
        try this.executeDecision(p.kind, p.payload) {
            emit ProposalApproved(p.id);
        } catch (bytes memory reason) {
            // A call that ran out of gas leaves this frame about 1/64 of what it had. Failing the
            // proposal then would let any voter sink a decision by sending too little gas, so the whole
            // vote reverts instead and can be sent again with more.
            if (gasleft() <= gasBefore / 63) revert DecisionOutOfGas();
            p.state = FAILED;
            emit ProposalFailed(p.id, reason);
        }
    }

    // ---------------------------------------------------------------- actions: parties

    function _addParty(bytes32 id, string memory name, uint8 kind, address[] memory admins) private {
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
    function _claimAdmins(bytes32 id, address[] memory admins) private {
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
    function _rotateAdmins(bytes32 id, address[] memory admins) private {
        Party storage party = _parties[id];
        if (party.status != PARTY_ACTIVE) revert PartyNotActive(id);
        for (uint256 i = 0; i < party.admins.length; i++) delete _adminParty[party.admins[i]];
        _claimAdmins(id, admins);
        party.admins = admins;
        emit AdminsRotated(id);
    }

    /// Emergency: an active party loses its vote, its permissions and its nodes until unfrozen.
    function _freezeParty(bytes32 id) private {
        if (_parties[id].status != PARTY_ACTIVE) revert PartyNotActive(id);
        _requirePartyCanLeave(id);
        _parties[id].status = PARTY_FROZEN;
        emit PartyFrozen(id);
    }

    function _unfreezeParty(bytes32 id) private {
        if (_parties[id].status != PARTY_FROZEN) revert PartyNotFrozen(id);
        _parties[id].status = PARTY_ACTIVE;
        emit PartyUnfrozen(id);
    }

    function _setMinValidators(uint16 count) private {
        if (count < 1 || count > _activeValidatorCount()) revert BadMinValidators(count, _activeValidatorCount());
        minValidators = count;
        emit MinValidatorsChanged(count);
    }

    function _suspendParty(bytes32 id) private {
        if (_parties[id].status != PARTY_ACTIVE) revert PartyNotActive(id);
        _requirePartyCanLeave(id);
        _parties[id].status = PARTY_SUSPENDED;
        emit PartySuspended(id);
    }

    function _reinstateParty(bytes32 id) private {
        if (_parties[id].status != PARTY_SUSPENDED) revert PartyNotSuspended(id);
        _parties[id].status = PARTY_ACTIVE;
        emit PartyReinstated(id);
    }

    function _removeParty(bytes32 id) private {
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
    function _requirePartyCanLeave(bytes32 id) private view {
        uint256 own = 0;
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_nodes[_validatorOrder[i]].partyId == id && _countsAsValidator(_validatorOrder[i])) own++;
        }
        _requireValidatorsLeft(own);
        if (_parties[id].kind != OBSERVER) {
            if (_votingPartyCount() <= 1) revert NoVoterLeft();
        }
    }

    // ---------------------------------------------------------------- actions: nodes and validators

    function _addNode(address node, bytes32 partyId, string memory endpoint, bytes32 encryptionKey) private {
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

    function _removeNode(address node) private {
        Node storage n = _nodes[node];
        if (n.status != NODE_ACTIVE) revert NodeNotActive(node);
        if (_countsAsValidator(node)) _requireValidatorsLeft(1);
        _retireNode(n);
    }

    function _addValidator(address node) private {
        Node storage n = _nodes[node];
        if (n.status != NODE_ACTIVE) revert NodeNotActive(node);
        if (n.validator) revert AlreadyValidator(node);
        if (_parties[n.partyId].status != PARTY_ACTIVE) revert PartyNotActive(n.partyId);
        _makeCandidate(n);
    }

    function _makeCandidate(Node storage n) private {
        if (n.candidate) revert AlreadyCandidate(n.nodeAddress);
        n.candidate = true;
        emit ValidatorCandidate(n.nodeAddress);
    }

    function _removeValidatorRole(address node) private {
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

    function _grantValidator(Node storage n) private {
        n.validator = true;
        _validatorOrder.push(n.nodeAddress);
        emit ValidatorAdded(n.nodeAddress);
    }

    function _dropValidator(Node storage n) private {
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

    function _retireNode(Node storage n) private {
        if (n.validator) _dropValidator(n);
        n.candidate = false;
        n.status = NODE_REMOVED;
        emit NodeRemoved(n.nodeAddress, n.partyId);
    }

    /// A validator that is active and whose party is active (what getValidators returns).
    function _countsAsValidator(address node) private view returns (bool) {
        Node storage n = _nodes[node];
        return n.validator && n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE;
    }

    function _activeValidatorCount() private view returns (uint256 count) {
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_countsAsValidator(_validatorOrder[i])) count++;
        }
    }

    function _requireValidatorsLeft(uint256 leaving) private view {
        if (_activeValidatorCount() - leaving < minValidators) revert TooFewValidators(minValidators);
    }

    // ---------------------------------------------------------------- actions: code, contracts, policy, accounts

    function _approveCode(bytes32 hash) private {
        if (hash == bytes32(0)) revert ZeroCodeHash();
        if (_approvedCode[hash]) revert CodeAlreadyApproved(hash);
        _approvedCode[hash] = true;
        emit CodeApproved(hash);
    }

    function _revokeCode(bytes32 hash) private {
        if (!_approvedCode[hash]) revert CodeNotApproved(hash);
        _approvedCode[hash] = false;
        emit CodeRevoked(hash);
    }

    function _upgradeContract(address proxy, address implementation) private {
        if (proxy.code.length == 0) revert NotAContract(proxy);
        if (implementation.code.length == 0) revert NotAContract(implementation);
        if (!_approvedCode[implementation.codehash]) revert CodeNotApproved(implementation.codehash);
        // The proxy accepts this only from its admin: a proxy governed by someone else makes it fail.
        IGovernedProxy(proxy).upgradeTo(implementation);
        emit ContractUpgraded(proxy, implementation);
    }

    function _setPolicy(uint8 decisionType, uint8 threshold, bool inclusive, uint64 period, bytes32[] memory veto) private {
        if (decisionType >= DECISION_TYPES) revert UnknownDecisionType(decisionType);
        if (threshold < 1 || threshold > 100) revert BadThreshold(threshold);
        if (!inclusive && threshold == 100) revert UnreachableThreshold();
        if (period < 1 || period > MAX_VOTING_PERIOD) revert BadVotingPeriod(period);
        if (veto.length > MAX_VETO_PARTIES) revert TooManyVetoParties();
        for (uint256 i = 0; i < veto.length; i++) {
            uint8 status = _parties[veto[i]].status;
            if (!_isCurrent(status)) revert VetoPartyNotCurrent(veto[i]);
        }
        Policy storage p = _policies[decisionType];
        p.thresholdPercent = threshold;
        p.inclusive = inclusive;
        p.votingPeriod = period;
        p.vetoParties = veto;
        emit PolicyChanged(decisionType);
    }

    function _setAccountPermissions(address account, bytes32 partyId, uint8 permissions) private {
        if (account == address(0)) revert ZeroAddress();
        uint8 status = _parties[partyId].status;
        if (!_isCurrent(status)) revert PartyNotCurrent(partyId);
        if (permissions > ALL_PERMISSIONS) revert BadPermissions(permissions);
        if (_adminParty[account] != bytes32(0)) revert AdminHasAllPermissions(account);
        if (_accounts[account].partyId == bytes32(0)) _accountList.push(account);
        _accounts[account] = Account(partyId, permissions);
        emit AccountPermissionsSet(account, partyId, permissions);
    }

    /// Active, suspended or frozen: a party that still exists.
    function _isCurrent(uint8 status) private pure returns (bool) {
        return status == PARTY_ACTIVE || status == PARTY_SUSPENDED || status == PARTY_FROZEN;
    }

    /// The party an account is registered to, unless that party was removed (its record is history).
    function _accountParty(address account) private view returns (bytes32) {
        bytes32 partyId = _accounts[account].partyId;
        return _parties[partyId].status == PARTY_REMOVED ? bytes32(0) : partyId;
    }

    // ---------------------------------------------------------------- actions: private data collections

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
    ) private {
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
    function _isLegalBasis(bytes32 b) private pure returns (bool) {
        return b == bytes32("consent") || b == bytes32("contract") || b == bytes32("legal-obligation") || b == bytes32("vital-interests")
            || b == bytes32("public-task") || b == bytes32("legitimate-interests");
    }

    /// Reverts with `reason` as it is (another call's revert data, error selector and all).
    function _bubble(bytes memory reason) private pure {
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }
}
