// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Roles} from "./Roles.sol";

/**
 * @title PeerRegistry
 * @notice Peers join by staking at least `minStake` of the chain's native currency and receive a
 * sequential `uint32` uid (0, 1, 2, ...) that the off-chain code uses as `peerUid`. Every identity
 * costs its own stake, so the Sybil cost of k identities is k * minStake. Leaving takes two steps:
 * {deregister} starts an unbonding delay of `unbondingBlocks` blocks during which the stake can
 * still be slashed, then {withdraw} returns what is left.
 * @dev Stake is native currency rather than an ERC-20: one transaction to join (no approve +
 * transferFrom), no token contract to deploy or trust, and the same code runs on any EVM chain.
 * Slashed stake is not burnt: it is handed to {_onSlashed}, which {ValidationResults} adds to the
 * reward pool, so misbehaviour pays honest peers.
 */
abstract contract PeerRegistry is Roles {
    /// @notice Life cycle of an identity. `Exited` is terminal; the account may register anew.
    enum PeerStatus {
        Active,
        Unbonding,
        Exited
    }

    /// @notice One identity. Fits in two storage slots.
    struct Peer {
        address account;
        uint64 unbondingEndsAt; // block number from which {withdraw} is allowed; 0 while active
        PeerStatus status;
        uint256 stake; // wei
    }

    /// @notice One slashing, kept on chain so anyone can audit it without an archive node.
    struct SlashRecord {
        uint32 uid;
        uint16 reasonCode; // opaque to the chain; the off-chain validator documents its codes
        uint64 blockNumber;
        address validator;
        uint256 amount; // wei
    }

    uint256 private immutable _minStake;
    uint64 private immutable _unbondingBlocks;
    Peer[] private _peers;
    /// @dev uid + 1 of the account's live (active or unbonding) identity; 0 = none.
    mapping(address account => uint256) private _uidPlusOne;
    SlashRecord[] private _slashes;

    /// @notice A stake of `stake` wei is below the minimum `minStake`.
    error PeerRegistryStakeTooLow(uint256 stake, uint256 minStake);

    /// @notice `account` already holds the live identity `uid`.
    error PeerRegistryAlreadyRegistered(address account, uint32 uid);

    /// @notice `account` holds no live identity.
    error PeerRegistryNotRegistered(address account);

    /// @notice No identity has uid `uid`.
    error PeerRegistryUnknownUid(uint32 uid);

    /// @notice Identity `uid` must be active but is `status`.
    error PeerRegistryNotActive(uint32 uid, PeerStatus status);

    /// @notice Identity `uid` must be unbonding but is `status`.
    error PeerRegistryNotUnbonding(uint32 uid, PeerStatus status);

    /// @notice Identity `uid` unbonds until block `unbondingEndsAt`; now is block `currentBlock`.
    error PeerRegistryStillUnbonding(uint32 uid, uint64 unbondingEndsAt, uint256 currentBlock);

    /// @notice A zero amount where a positive one is required.
    error PeerRegistryZeroAmount();

    /// @notice Identity `uid` has exited; nothing is left to slash.
    error PeerRegistryNotSlashable(uint32 uid, PeerStatus status);

    /// @notice Slashing `amount` wei exceeds the `stake` wei of identity `uid`.
    error PeerRegistrySlashExceedsStake(uint32 uid, uint256 amount, uint256 stake);

    /// @notice Sending `amount` wei to `to` failed.
    error PeerRegistryTransferFailed(address to, uint256 amount);

    /// @notice All 2^32 uids are taken.
    error PeerRegistryUidSpaceExhausted();

    /// @notice `minStake` must be positive.
    error PeerRegistryInvalidMinStake(uint256 minStake);

    /// @notice `account` registered identity `uid` with `stake` wei.
    event PeerRegistered(uint32 indexed uid, address indexed account, uint256 stake);

    /// @notice Identity `uid` added `amount` wei; its stake is now `newStake` wei.
    event StakeToppedUp(uint32 indexed uid, uint256 amount, uint256 newStake);

    /// @notice Identity `uid` started unbonding; it may withdraw from block `unbondingEndsAt`.
    event PeerDeregistered(uint32 indexed uid, uint64 unbondingEndsAt);

    /// @notice Identity `uid` exited and `amount` wei went back to `account`.
    event StakeWithdrawn(uint32 indexed uid, address indexed account, uint256 amount);

    /// @notice `validator` slashed `amount` wei from identity `uid` for `reasonCode`; `remainingStake` is left.
    event PeerSlashed(
        uint32 indexed uid,
        address indexed validator,
        uint256 amount,
        uint16 reasonCode,
        uint256 remainingStake
    );

    /// @param minStake_ Minimum stake per identity (wei), > 0.
    /// @param unbondingBlocks_ Blocks between {deregister} and {withdraw}; 0 allows withdrawing at once.
    constructor(uint256 minStake_, uint64 unbondingBlocks_) {
        if (minStake_ == 0) revert PeerRegistryInvalidMinStake(minStake_);
        _minStake = minStake_;
        _unbondingBlocks = unbondingBlocks_;
    }

    /**
     * @notice Creates a new identity for the caller, staked with `msg.value`.
     * @return uid The identity's uid, sequential from 0.
     */
    function register() external payable returns (uint32 uid) {
        if (msg.value < _minStake) revert PeerRegistryStakeTooLow(msg.value, _minStake);
        uint256 live = _uidPlusOne[msg.sender];
        if (live != 0) revert PeerRegistryAlreadyRegistered(msg.sender, uint32(live - 1));
        // 2^32 identities would cost 2^32 * minStake; the check keeps the cast below exact anyway.
        if (_peers.length > type(uint32).max) revert PeerRegistryUidSpaceExhausted();
        uid = uint32(_peers.length);
        _peers.push(Peer({account: msg.sender, unbondingEndsAt: 0, status: PeerStatus.Active, stake: msg.value}));
        _uidPlusOne[msg.sender] = uint256(uid) + 1;
        emit PeerRegistered(uid, msg.sender, msg.value);
    }

    /// @notice Adds `msg.value` to the caller's active stake (e.g. to get back above the minimum after a slash).
    function topUp() external payable {
        if (msg.value == 0) revert PeerRegistryZeroAmount();
        (uint32 uid, Peer storage entry) = _liveIdentityOf(msg.sender);
        if (entry.status != PeerStatus.Active) revert PeerRegistryNotActive(uid, entry.status);
        entry.stake += msg.value;
        emit StakeToppedUp(uid, msg.value, entry.stake);
    }

    /// @notice Starts unbonding the caller's identity; it stops committing and may withdraw after the delay.
    function deregister() external {
        (uint32 uid, Peer storage entry) = _liveIdentityOf(msg.sender);
        if (entry.status != PeerStatus.Active) revert PeerRegistryNotActive(uid, entry.status);
        uint64 endsAt = uint64(block.number) + _unbondingBlocks;
        entry.status = PeerStatus.Unbonding;
        entry.unbondingEndsAt = endsAt;
        emit PeerDeregistered(uid, endsAt);
    }

    /// @notice Ends the caller's unbonding identity and sends its remaining stake back.
    function withdraw() external {
        (uint32 uid, Peer storage entry) = _liveIdentityOf(msg.sender);
        if (entry.status != PeerStatus.Unbonding) revert PeerRegistryNotUnbonding(uid, entry.status);
        if (block.number < entry.unbondingEndsAt) {
            revert PeerRegistryStillUnbonding(uid, entry.unbondingEndsAt, block.number);
        }
        uint256 amount = entry.stake;
        // Effects before the transfer: a re-entrant call finds the identity already exited.
        entry.stake = 0;
        entry.status = PeerStatus.Exited;
        delete _uidPlusOne[msg.sender];
        emit StakeWithdrawn(uid, msg.sender, amount);
        _sendValue(msg.sender, amount);
    }

    /**
     * @notice Takes `amount` wei of stake from identity `uid` (active or unbonding) for `reasonCode`.
     * @dev A slashed active peer below `minStake` stays registered but cannot commit until it tops up:
     * the graduated penalty of SPEC §5 (repeated failures cost more and more, up to exclusion).
     */
    function slash(uint32 uid, uint256 amount, uint16 reasonCode) external onlyValidator {
        if (amount == 0) revert PeerRegistryZeroAmount();
        Peer storage entry = _peerAt(uid);
        if (entry.status == PeerStatus.Exited) revert PeerRegistryNotSlashable(uid, entry.status);
        if (amount > entry.stake) revert PeerRegistrySlashExceedsStake(uid, amount, entry.stake);
        entry.stake -= amount;
        _slashes.push(
            SlashRecord({
                uid: uid,
                reasonCode: reasonCode,
                blockNumber: uint64(block.number),
                validator: msg.sender,
                amount: amount
            })
        );
        emit PeerSlashed(uid, msg.sender, amount, reasonCode, entry.stake);
        _onSlashed(amount);
    }

    /// @notice Minimum stake per identity (wei).
    function minStake() public view returns (uint256) {
        return _minStake;
    }

    /// @notice Blocks between {deregister} and {withdraw}.
    function unbondingBlocks() external view returns (uint64) {
        return _unbondingBlocks;
    }

    /// @notice Number of identities ever registered; uids are 0 .. peerCount() - 1.
    function peerCount() external view returns (uint256) {
        return _peers.length;
    }

    /// @notice Identity `uid`; reverts with {PeerRegistryUnknownUid} if it does not exist.
    function peer(uint32 uid) external view returns (Peer memory) {
        return _peerAt(uid);
    }

    /// @notice Uid of `account`'s live identity; reverts with {PeerRegistryNotRegistered} if none.
    function uidOf(address account) external view returns (uint32) {
        (uint32 uid, ) = _liveIdentityOf(account);
        return uid;
    }

    /// @notice Whether `account` holds a live (active or unbonding) identity.
    function isRegistered(address account) external view returns (bool) {
        return _uidPlusOne[account] != 0;
    }

    /// @notice Number of slashings ever recorded.
    function slashCount() external view returns (uint256) {
        return _slashes.length;
    }

    /// @notice The `index`-th slashing (0-based, in order).
    function slashRecord(uint256 index) external view returns (SlashRecord memory) {
        return _slashes[index];
    }

    /// @dev Receives every slashed amount (wei), already removed from the peer's stake.
    function _onSlashed(uint256 amount) internal virtual;

    /// @dev The caller's live identity, or {PeerRegistryNotRegistered}.
    function _liveIdentityOf(address account) internal view returns (uint32 uid, Peer storage entry) {
        uint256 plusOne = _uidPlusOne[account];
        if (plusOne == 0) revert PeerRegistryNotRegistered(account);
        uid = uint32(plusOne - 1);
        entry = _peers[uid];
    }

    /// @dev Identity `uid`, or {PeerRegistryUnknownUid}.
    function _peerAt(uint32 uid) internal view returns (Peer storage) {
        if (uid >= _peers.length) revert PeerRegistryUnknownUid(uid);
        return _peers[uid];
    }

    /// @dev Sends `amount` wei to `to`, or reverts with {PeerRegistryTransferFailed}.
    function _sendValue(address to, uint256 amount) internal {
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert PeerRegistryTransferFailed(to, amount);
    }
}
