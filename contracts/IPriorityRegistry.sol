// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/**
 * @title IPriorityRegistry
 * @notice A distributed register of IP application numbers and priority claims (WIPO ICT strategy
 * R12/R15). Offices anchor hashed commitments of their filings; nothing unpublished can be read
 * off the ledger. The bytes shared with clients are fixed in SPEC.md (version tag
 * `prioreg.commitment.v1`).
 *
 * Commitment: `keccak256(abi.encode(COMMITMENT_TAG, bytes2 office, string canonicalNumber,
 * string accessSecret))` with `COMMITMENT_TAG = keccak256("prioreg.commitment.v1")`.
 *
 * Batch entries are packed bytes in calldata, one after the other (SPEC.md §2):
 * `commitment (32) | ipRightKind (1) | filingDate (4, days since 1970-01-01) | flags (1)
 *  | documentDigest (32, when flags & 0x80) | (earlierCommitment (32) | claimedFilingDate (4)) * (flags & 0x7f)`.
 * The contract stores the root and the entry count the office states; it does not walk the
 * entries (that would cost the embedded chain's interpreter ~190 opcodes an entry for nothing the
 * ledger enforces): the index decodes them from calldata, recomputes the root and the count, and
 * refuses a batch where either differs (SPEC.md §2).
 * The batch root is an OpenZeppelin StandardMerkleTree root over one `bytes` value per entry:
 * `leaf = keccak256(bytes.concat(keccak256(abi.encode(entry))))`, pairs hashed sorted.
 *
 * EIP-712 (domain name `PriorityRegistry`, version `1`, chain id, this contract) type strings:
 * - `AnchorFiling(bytes32 commitment,uint8 ipRightKind,uint32 filingDate,bytes32 documentDigest,PriorityClaim[] priorityClaims,uint256 nonce,uint256 deadline)PriorityClaim(bytes32 earlierCommitment,uint32 claimedFilingDate)`
 * - `AnchorBatch(bytes32 root,uint32 count,bytes32 entriesHash,uint256 nonce,uint256 deadline)` where
 *   `entriesHash = keccak256(entries)`.
 * The nonce is per office (`officeNonce(office)`); each accepted signature consumes one.
 */
interface IPriorityRegistry {
    /// @notice A priority claim: the earlier application's commitment and the filing date claimed for it.
    struct PriorityClaim {
        bytes32 earlierCommitment;
        uint32 claimedFilingDate;
    }

    /// @notice One filing as anchored on its own (stored) or signed for a relayer.
    struct Filing {
        bytes32 commitment;
        uint8 ipRightKind;
        uint32 filingDate;
        bytes32 documentDigest;
        PriorityClaim[] priorityClaims;
    }

    /// @notice An office of the directory, keyed by its WIPO ST.3 code.
    struct Office {
        address signer;
        bool admitted;
        bool active;
    }

    /// @notice A filing anchored on its own; version 1 as anchored (amendments are events).
    struct Record {
        bytes2 office;
        uint8 ipRightKind;
        uint32 filingDate;
        uint64 blockNumber;
        bytes32 documentDigest;
    }

    /// @notice A batch of filings: the office that anchored it, how many entries, and when.
    struct Batch {
        bytes2 office;
        uint32 count;
        uint64 blockNumber;
    }

    /// @notice Where an anchored entry lives: `batchRoot == 0` for a stored record, otherwise the
    /// batch root with the packed entry and its Merkle proof.
    struct Inclusion {
        bytes32 batchRoot;
        bytes entry;
        bytes32[] proof;
    }

    /// @notice The registrar admitted `office` with `signer` as its key.
    event OfficeAdmitted(bytes2 indexed office, address indexed signer);
    /// @notice The registrar suspended `office`: its key can no longer write.
    event OfficeSuspended(bytes2 indexed office);
    /// @notice The registrar reinstated a suspended `office`.
    event OfficeReinstated(bytes2 indexed office);
    /// @notice The key of `office` changed from `previousSigner` to `newSigner`.
    event OfficeKeyRotated(bytes2 indexed office, address indexed previousSigner, address indexed newSigner);
    /// @notice `office` anchored a single filing (stored; version 1).
    event FilingAnchored(
        bytes32 indexed commitment, bytes2 indexed office, uint8 ipRightKind, uint32 filingDate, bytes32 documentDigest
    );
    /// @notice `office` anchored `count` packed entries under Merkle `root`; the entries are in the calldata.
    event BatchAnchored(bytes32 indexed root, bytes2 indexed office, uint256 count);
    /// @notice A priority claim of the filing anchored at (`batchRoot`, `commitment`), as of `version`.
    event PriorityClaimAdded(
        bytes32 indexed commitment,
        bytes32 indexed earlierCommitment,
        bytes32 batchRoot,
        uint32 claimedFilingDate,
        uint32 version
    );
    /// @notice A priority claim was withdrawn; the version that records the withdrawal is `version`.
    event PriorityClaimWithdrawn(
        bytes32 indexed commitment, bytes32 indexed earlierCommitment, bytes32 batchRoot, uint32 version
    );
    /// @notice A new version of an anchored filing (a corrected filing date or a new document digest).
    event FilingAmended(
        bytes32 indexed commitment, bytes32 batchRoot, uint32 version, uint32 filingDate, bytes32 documentDigest
    );
    /// @notice The office revealed the number behind `commitment`; it hashed to the commitment.
    event FilingPublished(
        bytes32 indexed commitment, bytes32 batchRoot, bytes2 numberOffice, string canonicalNumber, string accessSecret
    );

    /// @notice `office` is not a valid code (zero).
    error PriorityRegistryInvalidOfficeCode(bytes2 office);
    /// @notice `office` is already in the directory.
    error PriorityRegistryOfficeAlreadyAdmitted(bytes2 office);
    /// @notice `office` was never admitted.
    error PriorityRegistryUnknownOffice(bytes2 office);
    /// @notice `office` is suspended (or, for reinstate, already active).
    error PriorityRegistryOfficeNotActive(bytes2 office);
    /// @notice `office` is active; only a suspended office can be reinstated.
    error PriorityRegistryOfficeActive(bytes2 office);
    /// @notice `signer` cannot be an office key (zero, or already the key of `office`).
    error PriorityRegistryInvalidSigner(address signer, bytes2 office);
    /// @notice `account` is not the key of any admitted office.
    error PriorityRegistryNotOfficeSigner(address account);
    /// @notice `account` may not act for `office`.
    error PriorityRegistryUnauthorized(address account, bytes2 office);
    /// @notice `commitment` is already anchored: first write wins.
    error PriorityRegistryAlreadyAnchored(bytes32 commitment);
    /// @notice A batch with this `root` is already anchored.
    error PriorityRegistryBatchAlreadyAnchored(bytes32 root);
    /// @notice No stored record for `commitment`.
    error PriorityRegistryNotAnchored(bytes32 commitment);
    /// @notice No batch with this `root`.
    error PriorityRegistryUnknownBatch(bytes32 root);
    /// @notice The proof does not place `commitment`'s entry under `root`.
    error PriorityRegistryInvalidProof(bytes32 root, bytes32 commitment);
    /// @notice `kind` is not 1 (patent), 2 (utility model), 3 (design) or 4 (trademark).
    error PriorityRegistryInvalidKind(uint8 kind);
    /// @notice A filing date of zero days (1970-01-01) is a placeholder, not a date.
    error PriorityRegistryInvalidDate(uint32 date);
    /// @notice `length` bytes cannot hold `count` entries of at least 38 bytes each.
    error PriorityRegistryMalformedEntries(uint256 count, uint256 length);
    /// @notice A batch must carry at least one entry.
    error PriorityRegistryEmptyBatch();
    /// @notice A filing claims itself.
    error PriorityRegistrySelfClaim(bytes32 commitment);
    /// @notice More priority claims than an entry can carry (127).
    error PriorityRegistryTooManyClaims(uint256 count);
    /// @notice The signed entry expired at `deadline`.
    error PriorityRegistryExpiredSignature(uint256 deadline);
    /// @notice The signature recovers to `recovered`, which is not the current key of `office`.
    error PriorityRegistryInvalidSignature(bytes2 office, address recovered);
    /// @notice The revealed number and access secret hash to `computed`, not `commitment`.
    error PriorityRegistryCommitmentMismatch(bytes32 commitment, bytes32 computed);
    /// @notice The number's office `numberOffice` is neither the anchoring office nor `WO`.
    error PriorityRegistryOfficeMismatch(bytes2 numberOffice, bytes2 recordOffice);
    /// @notice `commitment` was already published.
    error PriorityRegistryAlreadyPublished(bytes32 commitment);

    /// @notice Admit `office` with `signer` as its key. Registrar only.
    function admitOffice(bytes2 office, address signer) external;

    /// @notice Suspend `office`: its key can no longer write. Registrar only.
    function suspendOffice(bytes2 office) external;

    /// @notice Reinstate a suspended `office`. Registrar only.
    function reinstateOffice(bytes2 office) external;

    /// @notice Replace the key of `office`: the registrar, or the office's own key while active.
    function rotateOfficeKey(bytes2 office, address newSigner) external;

    /// @notice Anchor one filing of the sender's office, stored on chain (version 1).
    function anchorFiling(Filing calldata filing) external;

    /// @notice Anchor a filing signed off chain by the current key of `office`; anyone may send it.
    function anchorFilingBySig(bytes2 office, Filing calldata filing, uint256 deadline, bytes calldata signature)
        external;

    /// @notice Anchor `count` packed `entries` of the sender's office under Merkle `root`.
    function anchorBatch(bytes32 root, uint32 count, bytes calldata entries) external;

    /// @notice Anchor a batch signed off chain by the current key of `office`; anyone may send it.
    function anchorBatchBySig(
        bytes2 office,
        bytes32 root,
        uint32 count,
        bytes calldata entries,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Record a new version of an anchored filing with a corrected date and/or a new digest.
    function amendFiling(bytes32 commitment, uint32 filingDate, bytes32 documentDigest, Inclusion calldata inclusion)
        external;

    /// @notice Add a priority claim to an anchored filing (a new version).
    function addPriorityClaim(bytes32 commitment, PriorityClaim calldata claim, Inclusion calldata inclusion)
        external;

    /// @notice Withdraw a priority claim of an anchored filing (a new version; the claim stays in history).
    function withdrawPriorityClaim(bytes32 commitment, bytes32 earlierCommitment, Inclusion calldata inclusion)
        external;

    /// @notice Reveal the number and access secret behind an anchored filing of the sender's office.
    function publishFiling(
        bytes2 numberOffice,
        string calldata canonicalNumber,
        string calldata accessSecret,
        Inclusion calldata inclusion
    ) external returns (bytes32 commitment);

    /// @notice The directory entry of `office`.
    function getOffice(bytes2 office) external view returns (Office memory);

    /// @notice The office whose current key is `signer` (zero when none).
    function officeOfSigner(address signer) external view returns (bytes2);

    /// @notice The next nonce a signed entry of `office` must carry.
    function officeNonce(bytes2 office) external view returns (uint256);

    /// @notice The stored record of `commitment` (office zero when not stored).
    function getRecord(bytes32 commitment) external view returns (Record memory);

    /// @notice The batch anchored under `root` (office zero when none).
    function getBatch(bytes32 root) external view returns (Batch memory);

    /// @notice The current version of the filing anchored at (`batchRoot`, `commitment`), 1 when never amended.
    function versionOf(bytes32 batchRoot, bytes32 commitment) external view returns (uint32);

    /// @notice Whether the filing anchored at (`batchRoot`, `commitment`) was published.
    function isPublished(bytes32 batchRoot, bytes32 commitment) external view returns (bool);

    /// @notice Whether `entry` is under the anchored batch `root` by `proof`.
    function verifyInclusion(bytes32 root, bytes calldata entry, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The commitment of (`office`, `canonicalNumber`, `accessSecret`).
    function computeCommitment(bytes2 office, string calldata canonicalNumber, string calldata accessSecret)
        external
        pure
        returns (bytes32);

    /// @notice The StandardMerkleTree leaf of a packed entry.
    function leafOf(bytes calldata entry) external pure returns (bytes32);

    /// @notice The EIP-712 digest an office signs for `filing`.
    function hashAnchorFiling(Filing calldata filing, uint256 nonce, uint256 deadline) external view returns (bytes32);

    /// @notice The EIP-712 digest an office signs for a batch.
    function hashAnchorBatch(bytes32 root, uint32 count, bytes32 entriesHash, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);
}
