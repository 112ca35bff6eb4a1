// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IPriorityRegistry} from "./IPriorityRegistry.sol";

/**
 * @title PriorityRegistry
 * @notice Enforces authority and integrity (DESIGN.md): which key may write for which office,
 * nothing is overwritten, history is kept, a revealed number matches its commitment. Domain rules
 * (number formats, priority periods, families) live off chain in the Python library.
 */
contract PriorityRegistry is IPriorityRegistry, AccessControl, EIP712, Nonces {
    /// @notice The role that admits, suspends, reinstates offices and rotates their keys.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Domain separation of commitments (SPEC.md §1).
    bytes32 public constant COMMITMENT_TAG = keccak256("prioreg.commitment.v1");

    bytes32 private constant _PRIORITY_CLAIM_TYPEHASH =
        keccak256("PriorityClaim(bytes32 earlierCommitment,uint32 claimedFilingDate)");
    bytes32 private constant _ANCHOR_FILING_TYPEHASH = keccak256(
        "AnchorFiling(bytes32 commitment,uint8 ipRightKind,uint32 filingDate,bytes32 documentDigest,PriorityClaim[] priorityClaims,uint256 nonce,uint256 deadline)PriorityClaim(bytes32 earlierCommitment,uint32 claimedFilingDate)"
    );
    bytes32 private constant _ANCHOR_BATCH_TYPEHASH =
        keccak256("AnchorBatch(bytes32 root,uint32 count,bytes32 entriesHash,uint256 nonce,uint256 deadline)");

    bytes2 private constant _WO = "WO";
    uint256 private constant _ENTRY_HEAD = 38;
    uint8 private constant _CLAIMS_MASK = 0x7f;

    /// @dev What changes after anchoring, per place of anchoring: amendments and publication.
    struct EntryState {
        uint32 amendments;
        bool published;
    }

    mapping(bytes2 office => Office) private _offices;
    mapping(address signer => bytes2 office) private _officeOfSigner;
    mapping(bytes32 commitment => Record) private _records;
    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 batchRoot => mapping(bytes32 commitment => EntryState)) private _states;

    constructor(address registrar) EIP712("PriorityRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, registrar);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    // ─── office directory ────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function admitOffice(bytes2 office, address signer) external onlyRole(REGISTRAR_ROLE) {
        if (office == bytes2(0)) revert PriorityRegistryInvalidOfficeCode(office);
        if (_offices[office].admitted) revert PriorityRegistryOfficeAlreadyAdmitted(office);
        _requireFreeSigner(signer);
        _offices[office] = Office({signer: signer, admitted: true, active: true});
        _officeOfSigner[signer] = office;
        emit OfficeAdmitted(office, signer);
    }

    /// @inheritdoc IPriorityRegistry
    function suspendOffice(bytes2 office) external onlyRole(REGISTRAR_ROLE) {
        Office storage entry = _admitted(office);
        if (!entry.active) revert PriorityRegistryOfficeNotActive(office);
        entry.active = false;
        emit OfficeSuspended(office);
    }

    /// @inheritdoc IPriorityRegistry
    function reinstateOffice(bytes2 office) external onlyRole(REGISTRAR_ROLE) {
        Office storage entry = _admitted(office);
        if (entry.active) revert PriorityRegistryOfficeActive(office);
        entry.active = true;
        emit OfficeReinstated(office);
    }

    /// @inheritdoc IPriorityRegistry
    function rotateOfficeKey(bytes2 office, address newSigner) external {
        Office storage entry = _admitted(office);
        // A suspended office may have lost its key: only the registrar can give it a new one.
        bool byOffice = entry.active && msg.sender == entry.signer;
        if (!byOffice && !hasRole(REGISTRAR_ROLE, msg.sender)) {
            revert PriorityRegistryUnauthorized(msg.sender, office);
        }
        _requireFreeSigner(newSigner);
        address previous = entry.signer;
        delete _officeOfSigner[previous];
        entry.signer = newSigner;
        _officeOfSigner[newSigner] = office;
        emit OfficeKeyRotated(office, previous, newSigner);
    }

    // ─── anchoring ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function anchorFiling(Filing calldata filing) external {
        _anchorFiling(_senderOffice(), filing);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorFilingBySig(bytes2 office, Filing calldata filing, uint256 deadline, bytes calldata signature)
        external
    {
        bytes32 digest = hashAnchorFiling(filing, nonces(_nonceKey(office)), deadline);
        _useSignature(office, digest, deadline, signature);
        _anchorFiling(office, filing);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorBatch(bytes32 root, uint32 count, bytes calldata entries) external {
        _anchorBatch(_senderOffice(), root, count, entries);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorBatchBySig(
        bytes2 office,
        bytes32 root,
        uint32 count,
        bytes calldata entries,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 digest = hashAnchorBatch(root, count, keccak256(entries), nonces(_nonceKey(office)), deadline);
        _useSignature(office, digest, deadline, signature);
        _anchorBatch(office, root, count, entries);
    }

    // ─── after anchoring: versions, claims, publication ──────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function amendFiling(bytes32 commitment, uint32 filingDate, bytes32 documentDigest, Inclusion calldata inclusion)
        external
    {
        _requireOwner(commitment, inclusion);
        if (filingDate == 0) revert PriorityRegistryInvalidDate(filingDate);
        uint32 version = _nextVersion(inclusion.batchRoot, commitment);
        emit FilingAmended(commitment, inclusion.batchRoot, version, filingDate, documentDigest);
    }

    /// @inheritdoc IPriorityRegistry
    function addPriorityClaim(bytes32 commitment, PriorityClaim calldata claim, Inclusion calldata inclusion)
        external
    {
        _requireOwner(commitment, inclusion);
        _requireClaim(commitment, claim);
        uint32 version = _nextVersion(inclusion.batchRoot, commitment);
        emit PriorityClaimAdded(
            commitment, claim.earlierCommitment, inclusion.batchRoot, claim.claimedFilingDate, version
        );
    }

    /// @inheritdoc IPriorityRegistry
    function withdrawPriorityClaim(bytes32 commitment, bytes32 earlierCommitment, Inclusion calldata inclusion)
        external
    {
        _requireOwner(commitment, inclusion);
        uint32 version = _nextVersion(inclusion.batchRoot, commitment);
        emit PriorityClaimWithdrawn(commitment, earlierCommitment, inclusion.batchRoot, version);
    }

    /// @inheritdoc IPriorityRegistry
    function publishFiling(
        bytes2 numberOffice,
        string calldata canonicalNumber,
        string calldata accessSecret,
        Inclusion calldata inclusion
    ) external returns (bytes32 commitment) {
        commitment = computeCommitment(numberOffice, canonicalNumber, accessSecret);
        bytes2 owner = _requireOwner(commitment, inclusion);
        // A PCT application (office WO) may be anchored by its receiving office (SPEC.md §1).
        if (numberOffice != owner && numberOffice != _WO) {
            revert PriorityRegistryOfficeMismatch(numberOffice, owner);
        }
        EntryState storage state = _states[inclusion.batchRoot][commitment];
        if (state.published) revert PriorityRegistryAlreadyPublished(commitment);
        state.published = true;
        emit FilingPublished(commitment, inclusion.batchRoot, numberOffice, canonicalNumber, accessSecret);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function getOffice(bytes2 office) external view returns (Office memory) {
        return _offices[office];
    }

    /// @inheritdoc IPriorityRegistry
    function officeOfSigner(address signer) external view returns (bytes2) {
        return _officeOfSigner[signer];
    }

    /// @inheritdoc IPriorityRegistry
    function officeNonce(bytes2 office) external view returns (uint256) {
        return nonces(_nonceKey(office));
    }

    /// @inheritdoc IPriorityRegistry
    function getRecord(bytes32 commitment) external view returns (Record memory) {
        return _records[commitment];
    }

    /// @inheritdoc IPriorityRegistry
    function getBatch(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc IPriorityRegistry
    function versionOf(bytes32 batchRoot, bytes32 commitment) external view returns (uint32) {
        return _states[batchRoot][commitment].amendments + 1;
    }

    /// @inheritdoc IPriorityRegistry
    function isPublished(bytes32 batchRoot, bytes32 commitment) external view returns (bool) {
        return _states[batchRoot][commitment].published;
    }

    /// @inheritdoc IPriorityRegistry
    function verifyInclusion(bytes32 root, bytes calldata entry, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _batches[root].office != bytes2(0) && MerkleProof.verifyCalldata(proof, root, leafOf(entry));
    }

    /// @inheritdoc IPriorityRegistry
    function computeCommitment(bytes2 office, string calldata canonicalNumber, string calldata accessSecret)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(COMMITMENT_TAG, office, canonicalNumber, accessSecret));
    }

    /// @inheritdoc IPriorityRegistry
    function leafOf(bytes calldata entry) public pure returns (bytes32) {
        // StandardMerkleTree: a leaf is hashed twice so it can never be mistaken for an inner node.
        return keccak256(bytes.concat(keccak256(abi.encode(entry))));
    }

    /// @inheritdoc IPriorityRegistry
    function hashAnchorFiling(Filing calldata filing, uint256 nonce, uint256 deadline) public view returns (bytes32) {
        uint256 n = filing.priorityClaims.length;
        bytes32[] memory claimHashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            PriorityClaim calldata claim = filing.priorityClaims[i];
            claimHashes[i] =
                keccak256(abi.encode(_PRIORITY_CLAIM_TYPEHASH, claim.earlierCommitment, claim.claimedFilingDate));
        }
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _ANCHOR_FILING_TYPEHASH,
                    filing.commitment,
                    filing.ipRightKind,
                    filing.filingDate,
                    filing.documentDigest,
                    keccak256(abi.encodePacked(claimHashes)),
                    nonce,
                    deadline
                )
            )
        );
    }

    /// @inheritdoc IPriorityRegistry
    function hashAnchorBatch(bytes32 root, uint32 count, bytes32 entriesHash, uint256 nonce, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(_ANCHOR_BATCH_TYPEHASH, root, count, entriesHash, nonce, deadline))
        );
    }

    // ─── internals ───────────────────────────────────────────────────────────────────────────

    function _anchorFiling(bytes2 office, Filing calldata filing) private {
        bytes32 commitment = filing.commitment;
        if (_records[commitment].office != bytes2(0)) revert PriorityRegistryAlreadyAnchored(commitment);
        _requireKind(filing.ipRightKind);
        if (filing.filingDate == 0) revert PriorityRegistryInvalidDate(filing.filingDate);
        uint256 n = filing.priorityClaims.length;
        if (n > _CLAIMS_MASK) revert PriorityRegistryTooManyClaims(n);
        _records[commitment] = Record({
            office: office,
            ipRightKind: filing.ipRightKind,
            filingDate: filing.filingDate,
            blockNumber: uint64(block.number),
            documentDigest: filing.documentDigest
        });
        emit FilingAnchored(commitment, office, filing.ipRightKind, filing.filingDate, filing.documentDigest);
        for (uint256 i = 0; i < n; ++i) {
            PriorityClaim calldata claim = filing.priorityClaims[i];
            _requireClaim(commitment, claim);
            emit PriorityClaimAdded(commitment, claim.earlierCommitment, bytes32(0), claim.claimedFilingDate, 1);
        }
    }

    function _anchorBatch(bytes2 office, bytes32 root, uint32 count, bytes calldata entries) private {
        if (_batches[root].office != bytes2(0)) revert PriorityRegistryBatchAlreadyAnchored(root);
        if (count == 0) revert PriorityRegistryEmptyBatch();
        // Only a bound, not a parse: the index decodes the entries, checks the count and the root,
        // and refuses a batch that does not match (SPEC.md §2).
        if (entries.length < uint256(count) * _ENTRY_HEAD) {
            revert PriorityRegistryMalformedEntries(count, entries.length);
        }
        _batches[root] = Batch({office: office, count: count, blockNumber: uint64(block.number)});
        emit BatchAnchored(root, office, count);
    }

    function _useSignature(bytes2 office, bytes32 digest, uint256 deadline, bytes calldata signature) private {
        if (block.timestamp > deadline) revert PriorityRegistryExpiredSignature(deadline);
        Office storage entry = _admitted(office);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != entry.signer) {
            revert PriorityRegistryInvalidSignature(office, recovered);
        }
        if (!entry.active) revert PriorityRegistryOfficeNotActive(office);
        _useNonce(_nonceKey(office));
    }

    function _senderOffice() private view returns (bytes2 office) {
        office = _officeOfSigner[msg.sender];
        if (office == bytes2(0)) revert PriorityRegistryNotOfficeSigner(msg.sender);
        if (!_offices[office].active) revert PriorityRegistryOfficeNotActive(office);
    }

    /// @dev The office that anchored `commitment` at `inclusion`, which must be the sender's, active.
    function _requireOwner(bytes32 commitment, Inclusion calldata inclusion) private view returns (bytes2 owner) {
        if (inclusion.batchRoot == bytes32(0)) {
            owner = _records[commitment].office;
            if (owner == bytes2(0)) revert PriorityRegistryNotAnchored(commitment);
        } else {
            owner = _batches[inclusion.batchRoot].office;
            if (owner == bytes2(0)) revert PriorityRegistryUnknownBatch(inclusion.batchRoot);
            if (
                inclusion.entry.length < _ENTRY_HEAD || bytes32(inclusion.entry[0:32]) != commitment
                    || !MerkleProof.verifyCalldata(inclusion.proof, inclusion.batchRoot, leafOf(inclusion.entry))
            ) revert PriorityRegistryInvalidProof(inclusion.batchRoot, commitment);
        }
        bytes2 sender = _senderOffice();
        if (sender != owner) revert PriorityRegistryUnauthorized(msg.sender, owner);
    }

    function _nextVersion(bytes32 batchRoot, bytes32 commitment) private returns (uint32) {
        EntryState storage state = _states[batchRoot][commitment];
        state.amendments += 1;
        return state.amendments + 1;
    }

    function _admitted(bytes2 office) private view returns (Office storage entry) {
        entry = _offices[office];
        if (!entry.admitted) revert PriorityRegistryUnknownOffice(office);
    }

    function _requireFreeSigner(address signer) private view {
        bytes2 holder = _officeOfSigner[signer];
        if (signer == address(0) || holder != bytes2(0)) revert PriorityRegistryInvalidSigner(signer, holder);
    }

    function _requireKind(uint8 kind) private pure {
        if (kind == 0 || kind > 4) revert PriorityRegistryInvalidKind(kind);
    }

    function _requireClaim(bytes32 commitment, PriorityClaim calldata claim) private pure {
        if (claim.earlierCommitment == commitment) revert PriorityRegistrySelfClaim(commitment);
        if (claim.claimedFilingDate == 0) revert PriorityRegistryInvalidDate(claim.claimedFilingDate);
    }

    /// @dev OpenZeppelin `Nonces` is keyed by address; an office's nonces live under the address
    /// whose low 16 bits are its ST.3 code, an address no private key can be known for.
    function _nonceKey(bytes2 office) private pure returns (address) {
        return address(uint160(uint16(office)));
    }
}
