// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PeerRegistry} from "./PeerRegistry.sol";

/**
 * @title RoundCommitments
 * @notice Time is cut into rounds of `roundLength` blocks from the deploy block: round r is open
 * from block `genesisBlock + r * roundLength` to block `genesisBlock + (r + 1) * roundLength - 1`
 * inclusive. During its round an active peer whose stake is at least `minStake` commits once to
 * (hash of its encoded update, storage key). The chain keeps these 64 bytes per peer and round,
 * never the update itself: the bytes live in object storage and the validator checks them
 * against the hash.
 * @dev The caller names the round it commits to, so a transaction mined after the window has closed
 * reverts with {RoundCommitmentsWindowClosed} instead of silently landing in the next round.
 */
abstract contract RoundCommitments is PeerRegistry {
    /// @notice What one peer committed to for one round.
    struct Commitment {
        bytes32 updateHash; // e.g. keccak256 of the encoded update bytes; never zero once committed
        bytes32 storageKey; // e.g. keccak256 of the object-store key, or the key itself if <= 32 bytes
    }

    uint256 private immutable _genesisBlock;
    uint256 private immutable _roundLength;
    mapping(uint256 round => mapping(uint32 uid => Commitment)) private _commitments;
    mapping(uint256 round => uint32) private _commitCount;

    /// @notice Round `round` opens at block `firstBlock`; now is block `currentBlock`.
    error RoundCommitmentsWindowNotOpen(uint256 round, uint256 firstBlock, uint256 currentBlock);

    /// @notice Round `round` closed after block `lastBlock`; now is block `currentBlock`.
    error RoundCommitmentsWindowClosed(uint256 round, uint256 lastBlock, uint256 currentBlock);

    /// @notice Identity `uid` already committed to round `round`.
    error RoundCommitmentsDuplicate(uint256 round, uint32 uid);

    /// @notice A zero update hash (reserved for "no commitment") from identity `uid`.
    error RoundCommitmentsZeroHash(uint256 round, uint32 uid);

    /// @notice `roundLength` must be positive.
    error RoundCommitmentsInvalidRoundLength(uint256 roundLength);

    /// @notice Identity `uid` committed to (`updateHash`, `storageKey`) for round `round`.
    event UpdateCommitted(uint256 indexed round, uint32 indexed uid, bytes32 updateHash, bytes32 storageKey);

    /// @param roundLength_ Blocks per round, > 0. The first round starts at the deploy block.
    constructor(uint256 roundLength_) {
        if (roundLength_ == 0) revert RoundCommitmentsInvalidRoundLength(roundLength_);
        _genesisBlock = block.number;
        _roundLength = roundLength_;
    }

    /**
     * @notice Commits the caller's update for `round`, which must be the round open now.
     * @param round The round committed to.
     * @param updateHash Hash of the encoded update; not zero.
     * @param storageKey Where the update is stored (see {Commitment}).
     */
    function commit(uint256 round, bytes32 updateHash, bytes32 storageKey) external {
        (uint32 uid, Peer storage entry) = _liveIdentityOf(msg.sender);
        if (entry.status != PeerStatus.Active) revert PeerRegistryNotActive(uid, entry.status);
        uint256 min = minStake();
        if (entry.stake < min) revert PeerRegistryStakeTooLow(entry.stake, min);
        (uint256 first, uint256 last) = roundWindow(round);
        if (block.number < first) revert RoundCommitmentsWindowNotOpen(round, first, block.number);
        if (block.number > last) revert RoundCommitmentsWindowClosed(round, last, block.number);
        if (updateHash == bytes32(0)) revert RoundCommitmentsZeroHash(round, uid);
        Commitment storage slot = _commitments[round][uid];
        if (slot.updateHash != bytes32(0)) revert RoundCommitmentsDuplicate(round, uid);
        slot.updateHash = updateHash;
        slot.storageKey = storageKey;
        _commitCount[round] += 1;
        emit UpdateCommitted(round, uid, updateHash, storageKey);
    }

    /// @notice Block of the deploy; round 0 starts here.
    function genesisBlock() external view returns (uint256) {
        return _genesisBlock;
    }

    /// @notice Blocks per round.
    function roundLength() external view returns (uint256) {
        return _roundLength;
    }

    /// @notice The round whose window contains the current block.
    function currentRound() external view returns (uint256) {
        return (block.number - _genesisBlock) / _roundLength;
    }

    /// @notice First and last block (inclusive) of round `round`.
    function roundWindow(uint256 round) public view returns (uint256 firstBlock, uint256 lastBlock) {
        firstBlock = _genesisBlock + round * _roundLength;
        lastBlock = firstBlock + _roundLength - 1;
    }

    /// @notice What identity `uid` committed to for `round`; both fields zero if nothing.
    function commitmentOf(uint256 round, uint32 uid) external view returns (Commitment memory) {
        return _commitments[round][uid];
    }

    /// @notice Whether identity `uid` committed to `round`.
    function hasCommitted(uint256 round, uint32 uid) public view returns (bool) {
        return _commitments[round][uid].updateHash != bytes32(0);
    }

    /// @notice How many identities committed to `round`.
    function commitCount(uint256 round) external view returns (uint32) {
        return _commitCount[round];
    }
}
