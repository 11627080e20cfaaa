// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IChainParameters} from "./GovernanceInterfaces.sol";

/// @title ChainParameters
/// @notice The chain parameters every node follows, and the one change to them that a vote has
/// scheduled for a future block: block period, empty-block period, block gas limit, and the named
/// protocol version. Nodes read `parametersAt(n)` from the state of block n-1 (the parent), so every
/// node switches at the same block, without a restart.
///
/// Design notes (the why):
/// - It lives at a fixed address (0x…1002), placed by the genesis builder like the governance
///   contract: its constructor runs in a scratch EVM and its code and storage are copied there, so
///   nothing may depend on the address it was deployed at.
/// - Only the governance contract (0x…1000) may schedule, in the execution of an approved
///   SetChainParameters proposal, which passes the proposal payload verbatim.
/// - One change is scheduled at a time. A new decision replaces a change that is not active yet;
///   a change whose activation block has passed is folded into the current parameters first.
/// - The activation block must be more than MIN_NOTICE_BLOCKS ahead of the deciding block: every
///   node (and every operator upgrading software) gets notice before the switch.
/// - The ranges keep a vote from making the chain unusable: a gas limit too low for a governance
///   vote could never be voted back up.
contract ChainParameters is IChainParameters {
    address internal constant GOVERNANCE = 0x0000000000000000000000000000000000001000;

    uint64 public constant MIN_NOTICE_BLOCKS = 10;
    uint64 public constant MIN_BLOCK_PERIOD_MS = 50;
    uint64 public constant MAX_BLOCK_PERIOD_MS = 3_600_000;
    uint64 public constant MIN_EMPTY_BLOCK_PERIOD_MS = 50;
    uint64 public constant MAX_EMPTY_BLOCK_PERIOD_MS = 86_400_000;
    uint64 public constant MIN_GAS_LIMIT = 5_000_000;
    uint64 public constant MAX_GAS_LIMIT = 2_000_000_000;
    uint256 public constant MAX_PROTOCOL_BYTES = 32;

    struct Parameters {
        uint64 blockPeriodMs;
        uint64 emptyBlockPeriodMs;
        uint64 gasLimit;
        string protocol;
    }

    /// The caller is not the governance contract.
    error NotGovernance(address caller);
    /// The payload is not abi.encode(uint64, uint64, uint64, uint64, string).
    error MalformedPayload();
    /// The activation block must be at least `earliest`.
    error ActivationTooSoon(uint64 activationBlock, uint64 earliest);
    /// Every value is 0 or "": nothing would change.
    error NothingToChange();
    error BlockPeriodOutOfRange(uint64 value, uint64 min, uint64 max);
    error EmptyBlockPeriodOutOfRange(uint64 value, uint64 min, uint64 max);
    error GasLimitOutOfRange(uint64 value, uint64 min, uint64 max);
    /// A protocol name is 1 to 32 bytes of a-z, 0-9, '.', '/', '-'.
    error InvalidProtocolName(string protocol);

    event ParametersScheduled(
        uint64 indexed activationBlock,
        uint64 blockPeriodMs,
        uint64 emptyBlockPeriodMs,
        uint64 gasLimit,
        string protocol,
        uint64 replacedActivationBlock
    );

    Parameters internal _current;
    Parameters internal _next;
    /// The block from which `_next` applies; 0 when nothing is scheduled.
    uint64 internal _activationBlock;

    constructor(uint64 blockPeriodMs, uint64 emptyBlockPeriodMs, uint64 gasLimit, string memory protocol) {
        _current = Parameters(blockPeriodMs, emptyBlockPeriodMs, gasLimit, protocol);
    }

    /// @notice Schedules a change (see the payload layout in docs/governance.md):
    /// abi.encode(uint64 activationBlock, uint64 blockPeriodMs, uint64 emptyBlockPeriodMs,
    /// uint64 gasLimit, string protocol); 0 or "" keeps that value.
    function schedule(bytes calldata payload) external {
        if (msg.sender != GOVERNANCE) revert NotGovernance(msg.sender);
        if (payload.length < 192) revert MalformedPayload();
        (uint64 at, uint64 period, uint64 empty, uint64 gas, string memory protocol) =
            abi.decode(payload, (uint64, uint64, uint64, uint64, string));
        uint64 earliest = uint64(block.number) + MIN_NOTICE_BLOCKS + 1;
        if (at < earliest) revert ActivationTooSoon(at, earliest);
        if (period == 0 && empty == 0 && gas == 0 && bytes(protocol).length == 0) revert NothingToChange();

        uint64 replaced = 0;
        if (_activationBlock != 0) {
            if (block.number >= _activationBlock) _current = _next;
            else replaced = _activationBlock;
        }
        Parameters memory p = _current;
        if (period != 0) {
            if (period < MIN_BLOCK_PERIOD_MS || period > MAX_BLOCK_PERIOD_MS) {
                revert BlockPeriodOutOfRange(period, MIN_BLOCK_PERIOD_MS, MAX_BLOCK_PERIOD_MS);
            }
            p.blockPeriodMs = period;
        }
        if (empty != 0) {
            if (empty < MIN_EMPTY_BLOCK_PERIOD_MS || empty > MAX_EMPTY_BLOCK_PERIOD_MS) {
                revert EmptyBlockPeriodOutOfRange(empty, MIN_EMPTY_BLOCK_PERIOD_MS, MAX_EMPTY_BLOCK_PERIOD_MS);
            }
            p.emptyBlockPeriodMs = empty;
        }
        if (gas != 0) {
            if (gas < MIN_GAS_LIMIT || gas > MAX_GAS_LIMIT) revert GasLimitOutOfRange(gas, MIN_GAS_LIMIT, MAX_GAS_LIMIT);
            p.gasLimit = gas;
        }
        if (bytes(protocol).length != 0) {
            if (!_validProtocol(bytes(protocol))) revert InvalidProtocolName(protocol);
            p.protocol = protocol;
        }
        _next = p;
        _activationBlock = at;
        emit ParametersScheduled(at, p.blockPeriodMs, p.emptyBlockPeriodMs, p.gasLimit, p.protocol, replaced);
    }

    /// @notice The parameters block `blockNumber` is made under, read from the state of its parent.
    function parametersAt(uint64 blockNumber) external view returns (Parameters memory) {
        return _activationBlock != 0 && blockNumber >= _activationBlock ? _next : _current;
    }

    /// @notice The last scheduled change and its activation block (0: none was ever scheduled). It
    /// stays here after it activates, until the next change is scheduled.
    function scheduled() external view returns (uint64 activationBlock, Parameters memory parameters) {
        return (_activationBlock, _next);
    }

    function _validProtocol(bytes memory b) private pure returns (bool) {
        if (b.length > MAX_PROTOCOL_BYTES) return false;
        for (uint256 i = 0; i < b.length; i++) {
            bytes1 c = b[i];
            bool ok = (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "." || c == "/" || c == "-";
            if (!ok) return false;
        }
        return true;
    }
}
