// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./PensionRoles.sol";

interface IParticipantKeys {
    function keyOf(bytes32 id) external view returns (address);
    function isHolder(bytes32 id, address fund) external view returns (bool);
}

/// Value transfer: a participant moves their accrued rights from one fund to another.
/// Requested (signed by the participant's key, submitted by the new fund) -> Quoted (old fund, before
/// the quote deadline) -> Accepted (new fund, before the quote's validity ends) -> Settled (old fund
/// confirms payment, before the settlement deadline). A step missed past its deadline lets anyone
/// mark the transfer Expired. Status and amounts are public to the consortium (the regulator
/// follows them); no personal data.
contract ValueTransfer is PensionRoles {
    error UnknownTransfer(uint256 id);
    error WrongStatus(uint256 id, Status status);
    error NotOldFund(uint256 id, address account);
    error NotNewFund(uint256 id, address account);
    error SameFund(address fund);
    error NoEntitlements(bytes32 participant, address fund);
    error BadSignature(bytes32 participant);
    error DeadlinePassed(uint256 id, uint64 deadline);
    error NotExpired(uint256 id, uint64 deadline);
    error ZeroAmount();

    enum Status { None, Requested, Quoted, Accepted, Settled, Expired }

    struct Transfer {
        bytes32 participant;
        address fromFund;
        address toFund;
        Status status;
        uint128 amountCents;
        uint64 requestedAt;
        uint64 deadline; // of the current step
        uint64 updatedAt;
    }

    /// Storage, not immutable: the runtime code (whose hash the consortium approves) must not depend on it.
    IParticipantKeys public registryAddress;
    uint64 public constant QUOTE_PERIOD = 30 days;
    uint64 public constant ACCEPT_PERIOD = 30 days;
    uint64 public constant SETTLE_PERIOD = 14 days;

    Transfer[] private list;
    mapping(bytes32 => uint256) public nonces;

    event TransferRequested(uint256 indexed id, bytes32 indexed participant, address indexed fromFund, address toFund, uint64 quoteDeadline);
    event TransferQuoted(uint256 indexed id, uint128 amountCents, uint64 acceptDeadline);
    event TransferAccepted(uint256 indexed id, uint64 settleDeadline);
    event TransferSettled(uint256 indexed id);
    event TransferExpired(uint256 indexed id, Status at);

    constructor(address[] memory funds_, address[] memory employers_, IParticipantKeys registry_) PensionRoles(funds_, employers_) {
        registryAddress = registry_;
    }

    /// What the participant signs (EIP-191 personal message over this hash) to ask for a transfer.
    function requestDigest(bytes32 participant, address fromFund, address toFund, uint256 nonce) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), participant, fromFund, toFund, nonce));
    }

    function request(bytes32 participant, address fromFund, address toFund, bytes calldata signature) external onlyFund returns (uint256 id) {
        if (msg.sender != toFund) revert NotNewFund(type(uint256).max, msg.sender);
        if (fromFund == toFund) revert SameFund(toFund);
        if (!registryAddress.isHolder(participant, fromFund)) revert NoEntitlements(participant, fromFund);
        bytes32 digest = requestDigest(participant, fromFund, toFund, nonces[participant]);
        if (_recover(digest, signature) != registryAddress.keyOf(participant)) revert BadSignature(participant);
        nonces[participant]++;
        id = list.length;
        uint64 deadline = uint64(block.timestamp) + QUOTE_PERIOD;
        list.push(Transfer(participant, fromFund, toFund, Status.Requested, 0, uint64(block.timestamp), deadline, uint64(block.timestamp)));
        emit TransferRequested(id, participant, fromFund, toFund, deadline);
    }

    function quote(uint256 id, uint128 amountCents) external {
        Transfer storage t = _step(id, Status.Requested);
        if (msg.sender != t.fromFund) revert NotOldFund(id, msg.sender);
        if (amountCents == 0) revert ZeroAmount();
        t.amountCents = amountCents;
        _advance(t, Status.Quoted, ACCEPT_PERIOD);
        emit TransferQuoted(id, amountCents, t.deadline);
    }

    function accept(uint256 id) external {
        Transfer storage t = _step(id, Status.Quoted);
        if (msg.sender != t.toFund) revert NotNewFund(id, msg.sender);
        _advance(t, Status.Accepted, SETTLE_PERIOD);
        emit TransferAccepted(id, t.deadline);
    }

    function settle(uint256 id) external {
        Transfer storage t = _step(id, Status.Accepted);
        if (msg.sender != t.fromFund) revert NotOldFund(id, msg.sender);
        _advance(t, Status.Settled, 0);
        emit TransferSettled(id);
    }

    /// Anyone may close a transfer whose current step missed its deadline.
    function expire(uint256 id) external {
        Transfer storage t = _get(id);
        if (t.status != Status.Requested && t.status != Status.Quoted && t.status != Status.Accepted) revert WrongStatus(id, t.status);
        if (block.timestamp <= t.deadline) revert NotExpired(id, t.deadline);
        Status at = t.status;
        t.status = Status.Expired;
        t.updatedAt = uint64(block.timestamp);
        emit TransferExpired(id, at);
    }

    function get(uint256 id) external view returns (Transfer memory) {
        return _get(id);
    }

    function count() external view returns (uint256) {
        return list.length;
    }

    function _get(uint256 id) private view returns (Transfer storage) {
        if (id >= list.length) revert UnknownTransfer(id);
        return list[id];
    }

    function _step(uint256 id, Status expected) private view returns (Transfer storage t) {
        t = _get(id);
        if (t.status != expected) revert WrongStatus(id, t.status);
        if (block.timestamp > t.deadline) revert DeadlinePassed(id, t.deadline);
    }

    function _advance(Transfer storage t, Status next, uint64 period) private {
        t.status = next;
        t.updatedAt = uint64(block.timestamp);
        t.deadline = period == 0 ? 0 : uint64(block.timestamp) + period;
    }

    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        bytes32 ethHash = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        return ecrecover(ethHash, v, r, s);
    }
}
