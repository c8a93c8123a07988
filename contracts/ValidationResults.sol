// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RoundCommitments} from "./RoundCommitments.sol";

/**
 * @title ValidationResults
 * @notice After a round's window has closed, a validator posts the round's result once: the
 * selected top-G peers (uids, strictly ascending, each of which committed to the round), their
 * weights (the normalised Gauntlet scores of SPEC §5, in any fixed-point unit), and the hash of
 * the aggregate built from them. Posting finalises the round; a second post reverts.
 * Rewards: each finalised round pays `min(rewardPerRound, rewardPool)` wei, split among the
 * selected peers in proportion to their weights (floor division; the rounding dust stays in the
 * pool). Rewards accrue to the uid and are pulled with {claimRewards} by the uid's account, even
 * after it has exited. The pool is filled by {fundRewards} (anyone) and by slashed stake.
 * @dev Weights rather than an equal split because SPEC §5 says the on-chain weights decide rewards;
 * an equal split is the special case of equal weights. An empty selection finalises a skipped round
 * (no valid message) and pays nothing.
 */
abstract contract ValidationResults is RoundCommitments {
    /// @notice The posted result of one round.
    struct RoundResult {
        bytes32 aggregateHash; // hash of the aggregate built from the selected updates
        address validator; // who posted it
        uint32 selectedCount; // number of selected peers (0 = skipped round)
        bool finalised;
        uint256 distributed; // wei paid out to the selected peers
    }

    uint32 private immutable _maxSelected;
    uint256 private immutable _rewardPerRound;
    uint256 private _rewardPool;
    uint256 private _finalisedCount;
    mapping(uint256 round => RoundResult) private _results;
    mapping(uint32 uid => uint256) private _rewards;

    /// @notice Round `round` was already finalised.
    error ValidationResultsAlreadyFinalised(uint256 round);

    /// @notice Round `round` is open until block `lastBlock`; now is block `currentBlock`.
    error ValidationResultsRoundNotClosed(uint256 round, uint256 lastBlock, uint256 currentBlock);

    /// @notice `uidCount` uids but `weightCount` weights.
    error ValidationResultsLengthMismatch(uint256 uidCount, uint256 weightCount);

    /// @notice `count` peers selected, more than the maximum `maxSelected` (G).
    error ValidationResultsTooManySelected(uint256 count, uint256 maxSelected);

    /// @notice Uid `uid` at position `index` is not above the previous uid (must be strictly ascending).
    error ValidationResultsUidsNotAscending(uint256 index, uint32 uid);

    /// @notice Identity `uid` was selected for round `round` but did not commit to it.
    error ValidationResultsNotCommitted(uint256 round, uint32 uid);

    /// @notice Identity `uid` was selected with weight zero.
    error ValidationResultsZeroWeight(uint32 uid);

    /// @notice `account` is not the account of identity `uid`.
    error ValidationResultsNotPeerAccount(uint32 uid, address account);

    /// @notice Identity `uid` has no reward to claim.
    error ValidationResultsNothingToClaim(uint32 uid);

    /// @notice A zero payment to {fundRewards}.
    error ValidationResultsZeroFunding();

    /// @notice `maxSelected` (G) must be positive.
    error ValidationResultsInvalidMaxSelected(uint32 maxSelected);

    /// @notice `from` added `amount` wei to the reward pool, now `newPool` wei.
    event RewardsFunded(address indexed from, uint256 amount, uint256 newPool);

    /// @notice Slashed stake of `amount` wei went to the reward pool, now `newPool` wei.
    event SlashedStakePooled(uint256 amount, uint256 newPool);

    /// @notice Identity `uid` earned `amount` wei in round `round`.
    event RewardAccrued(uint256 indexed round, uint32 indexed uid, uint256 amount);

    /// @notice `validator` finalised `round`: `uids` with `weights` built the aggregate `aggregateHash`;
    /// `distributed` wei were paid from the pool, which is now `newPool` wei.
    event RoundFinalised(
        uint256 indexed round,
        address indexed validator,
        bytes32 aggregateHash,
        uint32[] uids,
        uint32[] weights,
        uint256 distributed,
        uint256 newPool
    );

    /// @notice `account` claimed `amount` wei of identity `uid`'s rewards.
    event RewardsClaimed(uint32 indexed uid, address indexed account, uint256 amount);

    /// @param maxSelected_ The largest selection per round (G, e.g. 15-20), > 0.
    /// @param rewardPerRound_ Wei paid per finalised round while the pool lasts.
    constructor(uint32 maxSelected_, uint256 rewardPerRound_) {
        if (maxSelected_ == 0) revert ValidationResultsInvalidMaxSelected(maxSelected_);
        _maxSelected = maxSelected_;
        _rewardPerRound = rewardPerRound_;
    }

    /**
     * @notice Finalises `round` with its selected peers, their weights and the aggregate's hash.
     * @param round A round whose window has closed and that is not finalised yet.
     * @param uids Selected uids, strictly ascending, each committed to `round`, at most `maxSelected`.
     * @param weights One positive weight per uid.
     * @param aggregateHash Hash of the aggregate built from the selected updates.
     */
    function postResults(
        uint256 round,
        uint32[] calldata uids,
        uint32[] calldata weights,
        bytes32 aggregateHash
    ) external onlyValidator {
        RoundResult storage result = _results[round];
        if (result.finalised) revert ValidationResultsAlreadyFinalised(round);
        (, uint256 last) = roundWindow(round);
        if (block.number <= last) revert ValidationResultsRoundNotClosed(round, last, block.number);
        if (uids.length != weights.length) revert ValidationResultsLengthMismatch(uids.length, weights.length);
        if (uids.length > _maxSelected) revert ValidationResultsTooManySelected(uids.length, _maxSelected);

        uint256 totalWeight = 0;
        for (uint256 i = 0; i < uids.length; ++i) {
            uint32 uid = uids[i];
            if (i > 0 && uid <= uids[i - 1]) revert ValidationResultsUidsNotAscending(i, uid);
            if (!hasCommitted(round, uid)) revert ValidationResultsNotCommitted(round, uid);
            if (weights[i] == 0) revert ValidationResultsZeroWeight(uid);
            totalWeight += weights[i];
        }

        uint256 roundReward = _rewardPerRound < _rewardPool ? _rewardPerRound : _rewardPool;
        uint256 distributed = 0;
        for (uint256 i = 0; i < uids.length; ++i) {
            uint256 amount = (roundReward * weights[i]) / totalWeight;
            if (amount == 0) continue;
            _rewards[uids[i]] += amount;
            distributed += amount;
            emit RewardAccrued(round, uids[i], amount);
        }

        _rewardPool -= distributed;
        result.aggregateHash = aggregateHash;
        result.validator = msg.sender;
        result.selectedCount = uint32(uids.length);
        result.finalised = true;
        result.distributed = distributed;
        _finalisedCount += 1;
        emit RoundFinalised(round, msg.sender, aggregateHash, uids, weights, distributed, _rewardPool);
    }

    /// @notice Adds `msg.value` to the reward pool.
    function fundRewards() external payable {
        if (msg.value == 0) revert ValidationResultsZeroFunding();
        _rewardPool += msg.value;
        emit RewardsFunded(msg.sender, msg.value, _rewardPool);
    }

    /**
     * @notice Sends identity `uid`'s accrued rewards to its account, which must be the caller.
     * @param uid Any identity of the caller, live or exited.
     */
    function claimRewards(uint32 uid) external {
        Peer storage entry = _peerAt(uid);
        if (entry.account != msg.sender) revert ValidationResultsNotPeerAccount(uid, msg.sender);
        uint256 amount = _rewards[uid];
        if (amount == 0) revert ValidationResultsNothingToClaim(uid);
        _rewards[uid] = 0;
        emit RewardsClaimed(uid, msg.sender, amount);
        _sendValue(msg.sender, amount);
    }

    /// @notice Largest selection per round (G).
    function maxSelected() external view returns (uint32) {
        return _maxSelected;
    }

    /// @notice Wei paid per finalised round while the pool lasts.
    function rewardPerRound() external view returns (uint256) {
        return _rewardPerRound;
    }

    /// @notice Wei in the reward pool.
    function rewardPool() external view returns (uint256) {
        return _rewardPool;
    }

    /// @notice Unclaimed rewards of identity `uid` (wei).
    function rewardsOf(uint32 uid) external view returns (uint256) {
        return _rewards[uid];
    }

    /// @notice The posted result of `round` (all zero if not finalised).
    function roundResult(uint256 round) external view returns (RoundResult memory) {
        return _results[round];
    }

    /// @notice Whether `round` is finalised.
    function isFinalised(uint256 round) external view returns (bool) {
        return _results[round].finalised;
    }

    /// @notice Number of finalised rounds.
    function finalisedCount() external view returns (uint256) {
        return _finalisedCount;
    }

    /// @dev Slashed stake funds the reward pool (see the contract's notice).
    function _onSlashed(uint256 amount) internal override {
        _rewardPool += amount;
        emit SlashedStakePooled(amount, _rewardPool);
    }
}
