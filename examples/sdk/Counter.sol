// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The contract of the SDK examples and conformance suite: a counter with a custom error.
contract Counter {
    error TooLarge(uint256 given, uint256 max);

    event Incremented(address indexed by, uint256 count);

    uint256 public count;
    uint256 public immutable max;
    mapping(address => uint256) public bySender;

    constructor(uint256 max_) {
        max = max_;
    }

    function increment() external {
        count += 1;
        bySender[msg.sender] += 1;
        emit Incremented(msg.sender, count);
    }

    function add(uint256 n) external {
        if (n > max) revert TooLarge(n, max);
        count += n;
        emit Incremented(msg.sender, count);
    }

    function positive(uint256 n) external pure returns (uint256) {
        require(n > 0, "n must be positive");
        return n;
    }
}
