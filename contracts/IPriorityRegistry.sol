// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/**
 * @title IPriorityRegistry
 * @notice A distributed register of IP application numbers and priority claims (WIPO ICT strategy
 * R12/R15), spec version 2 (docs/spec/). Offices anchor hashed commitments of their
 * filings; nothing unpublished can be read off the ledger, and no office can hurt another
 * (docs/design.md#p9-no-office-can-hurt-another): a record is identified by (office, commitment), a batch by (office, root).
 *
 * Commitment: `keccak256(abi.encode(COMMITMENT_TAG, bytes2 office, string canonicalNumber,
 * string accessSecret))` with `COMMITMENT_TAG = keccak256("prioreg.commitment.v1")`.
 *
 * Claim token: `bytes16(keccak256(abi.encode(CLAIM_TAG, bytes2 laterOffice, bytes32 laterCommitment,
 * string earlierAccessSecret)))` with `CLAIM_TAG = keccak256("prioreg.claim.v1")`: only an office
 * given the earlier application's access code can make it; the earlier office checks it off chain
 * and confirms the link (`confirmPriorityClaims`).
 *
 * Document digest: `keccak256(abi.encode(DOCUMENT_TAG, bytes32 commitment, bytes32 sha256(document)))`,
 * `DOCUMENT_TAG = keccak256("prioreg.document.v1")`; reports alike with
 * `REPORT_TAG = keccak256("prioreg.report.v1")`.
 *
 * Batch entries are packed bytes in calldata, one after the other (docs/spec/entries.md#batch-entry-layout):
 * `commitment (32) | ipRightKind (1) | filingDate (4, days since 1970-01-01) | flags (1)
 *  | documentDigest (32, when flags & 0x80)
 *  | (earlierOffice (2) | earlierCommitment (32) | claimedFilingDate (4) | claimToken (16)) * (flags & 0x7f)`.
 * The contract stores the root and the entry count the office states; it does not walk the
 * entries (that would cost ~190 opcodes an entry for nothing the ledger enforces): the index
 * decodes them from calldata, range-checks every value, recomputes the root and the count, and
 * refuses a batch where any differs — for the sending office only (docs/spec/entries.md#merkle-tree).
 * The batch root is an OpenZeppelin StandardMerkleTree root over one `bytes` value per entry:
 * `leaf = keccak256(bytes.concat(keccak256(abi.encode(entry))))`, pairs hashed sorted.
 *
 * EIP-712 (domain name `PriorityRegistry`, version `2`, chain id, this contract) type strings:
 * - `AnchorFiling(bytes2 office,bytes32 commitment,uint8 ipRightKind,uint32 filingDate,bytes32 documentDigest,PriorityClaim[] priorityClaims,uint256 nonce,uint256 deadline)PriorityClaim(bytes2 earlierOffice,bytes32 earlierCommitment,uint32 claimedFilingDate,bytes16 claimToken)`
 * - `AnchorBatch(bytes2 office,bytes32 root,uint32 count,bytes32 entriesHash,uint256 nonce,uint256 deadline)`
 *   where `entriesHash = keccak256(entries)`.
 * - `RotateOfficeKey(bytes2 office,address newSigner,uint256 nonce,uint256 deadline)`: the office's
 *   consent to a key rotation the registrar proposes.
 * - `PriorityDocument(bytes2 office,bytes32 commitment,bytes32 manifestSha256,uint32 version)` (docs/spec/packages.md#signature, off chain).
 * - `ReportRequest(bytes2 office,bytes32 reportId,bytes32 throughCommitment,bytes32 nonce,uint64 expiry)` (docs/spec/between-gateways.md#signed-requests, off chain).
 * - `PriorityDocumentRequest(bytes2 office,bytes32 commitment,uint32 version,bytes32 accessSecretHash,bytes32 nonce,uint64 expiry)` (docs/spec/between-gateways.md#signed-requests, off chain).
 * The nonce is per office (`officeNonce(office)`); each accepted signature consumes one.
 *
 * Document versions: version 1 is the filing as anchored; each `amendFiling` (a corrected date or
 * a new document digest, e.g. a new priority-document package, docs/spec/packages.md#on-chain) is the next version.
 * Key history: the office-directory events (`OfficeAdmitted`, `OfficeKeyRotated`) in chain order.
 */
interface IPriorityRegistry {
    /// @notice A priority claim: the earlier application (office and commitment), the date claimed
    /// for it and the claim token that proves the claiming office was given its access code.
    struct PriorityClaim {
        bytes2 earlierOffice;
        bytes32 earlierCommitment;
        uint32 claimedFilingDate;
        bytes16 claimToken;
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

    /// @notice A filing anchored on its own by `office`; version 1 as anchored (amendments are events).
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

    /// @notice A link the earlier office confirms: the later application (office, commitment)
    /// genuinely claims the confirming office's application `earlierCommitment`.
    struct Confirmation {
        bytes2 laterOffice;
        bytes32 laterCommitment;
        bytes32 earlierCommitment;
    }

    /// @notice What a governance proposal does (docs/spec/governance.md#delay-and-cancellation).
    enum Action {
        None,
        Admit,
        Suspend,
        Reinstate,
        RotateKey
    }

    /// @notice A registrar proposal: `Pending` until executed after the delay or cancelled by a
    /// majority of the offices active when it was made (the target excluded).
    enum ProposalState {
        None,
        Pending,
        Executed,
        Cancelled
    }

    /// @notice A governance proposal. `electorate` is the number of active offices, the target
    /// excluded, when it was made; a majority is more than half of it.
    struct Proposal {
        Action action;
        ProposalState state;
        bool consented;
        bytes2 office;
        uint16 electorate;
        uint16 cancelVotes;
        uint16 approveVotes;
        uint48 eta;
        address signer;
    }

    /// @notice `office` was admitted with `signer` as its key.
    event OfficeAdmitted(bytes2 indexed office, address indexed signer);
    /// @notice `office` was suspended: its key can no longer write.
    event OfficeSuspended(bytes2 indexed office);
    /// @notice A suspended `office` was reinstated.
    event OfficeReinstated(bytes2 indexed office);
    /// @notice The key of `office` changed from `previousSigner` to `newSigner` (the key history).
    event OfficeKeyRotated(bytes2 indexed office, address indexed previousSigner, address indexed newSigner);
    /// @notice `office` set the URL of its gateway (docs/spec/between-gateways.md#outbound-calls; empty: none).
    event OfficeEndpointSet(bytes2 indexed office, string endpoint);
    /// @notice `office` anchored a single filing (stored; version 1).
    event FilingAnchored(
        bytes2 indexed office, bytes32 indexed commitment, uint8 ipRightKind, uint32 filingDate, bytes32 documentDigest
    );
    /// @notice `office` anchored `count` packed entries under Merkle `root`; the entries are in the calldata.
    event BatchAnchored(bytes2 indexed office, bytes32 indexed root, uint256 count);
    /// @notice A priority claim of `office`'s filing anchored at (`batchRoot`, `commitment`), as of `version`.
    event PriorityClaimAdded(
        bytes2 indexed office,
        bytes32 indexed commitment,
        bytes32 indexed earlierCommitment,
        bytes2 earlierOffice,
        bytes32 batchRoot,
        uint32 claimedFilingDate,
        bytes16 claimToken,
        uint32 version
    );
    /// @notice A priority claim was withdrawn; the version that records the withdrawal is `version`.
    event PriorityClaimWithdrawn(
        bytes2 indexed office,
        bytes32 indexed commitment,
        bytes32 indexed earlierCommitment,
        bytes2 earlierOffice,
        bytes32 batchRoot,
        uint32 version
    );
    /// @notice The earlier office `office` confirmed that (`laterOffice`, `laterCommitment`) claims
    /// its application `earlierCommitment` with a genuine claim token.
    event PriorityClaimConfirmed(
        bytes2 indexed office, bytes32 indexed earlierCommitment, bytes32 indexed laterCommitment, bytes2 laterOffice
    );
    /// @notice A new version of an anchored filing (a corrected filing date or a new document digest).
    event FilingAmended(
        bytes2 indexed office,
        bytes32 indexed commitment,
        bytes32 batchRoot,
        uint32 version,
        uint32 filingDate,
        bytes32 documentDigest
    );
    /// @notice The office revealed the number behind `commitment`; it hashed to the commitment.
    event FilingPublished(
        bytes2 indexed office,
        bytes32 indexed commitment,
        bytes32 batchRoot,
        bytes2 numberOffice,
        string canonicalNumber,
        string accessSecret
    );
    /// @notice `office` anchored a search or examination report of its application `commitment`
    /// (`reportDigest` bound with REPORT_TAG; kind 1 searchReport … 5 other; `issued` in days).
    event ReportAnchored(
        bytes2 indexed office, bytes32 indexed commitment, bytes32 reportDigest, uint8 kind, uint32 issued
    );
    /// @notice The registrar proposed `action` on `office`; it can run from `eta` unless cancelled.
    event ProposalCreated(
        uint256 indexed id, Action action, bytes2 indexed office, address signer, uint48 eta, uint16 electorate
    );
    /// @notice Office `voter` voted on proposal `id` (`cancel` true: to cancel it; false: to approve a rotation).
    event ProposalVoted(uint256 indexed id, bytes2 indexed voter, bool cancel);
    /// @notice Proposal `id` gained the consent it needs (the office's signature or a majority).
    event ProposalConsented(uint256 indexed id);
    /// @notice Proposal `id` was cancelled by a majority of offices (or withdrawn by the registrar).
    event ProposalCancelled(uint256 indexed id);
    /// @notice Proposal `id` took effect.
    event ProposalExecuted(uint256 indexed id);

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
    /// @notice `office` already holds a stored record of `commitment`: first write wins.
    error PriorityRegistryAlreadyAnchored(bytes2 office, bytes32 commitment);
    /// @notice `office` already anchored a batch with this `root`.
    error PriorityRegistryBatchAlreadyAnchored(bytes2 office, bytes32 root);
    /// @notice `office` holds no stored record of `commitment`.
    error PriorityRegistryNotAnchored(bytes2 office, bytes32 commitment);
    /// @notice `office` anchored no batch with this `root`.
    error PriorityRegistryUnknownBatch(bytes2 office, bytes32 root);
    /// @notice The proof does not place `commitment`'s entry under `root`.
    error PriorityRegistryInvalidProof(bytes32 root, bytes32 commitment);
    /// @notice `kind` is not 1 (patent), 2 (utility model), 3 (design) or 4 (trademark).
    error PriorityRegistryInvalidKind(uint8 kind);
    /// @notice A date of zero days, or after the block's day + 1, cannot be a filing date.
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
    /// @notice `office` already anchored a report with this digest.
    error PriorityRegistryReportAlreadyAnchored(bytes2 office, bytes32 reportDigest);
    /// @notice `kind` is not a report kind (1–5).
    error PriorityRegistryInvalidReportKind(uint8 kind);
    /// @notice No proposal `id`, or it is no longer pending.
    error PriorityRegistryProposalNotPending(uint256 id);
    /// @notice Proposal `id` cannot run before `eta`, or lacks the consent a key rotation needs.
    error PriorityRegistryProposalNotReady(uint256 id, uint48 eta);
    /// @notice Office `voter` already voted this way on proposal `id`, or may not vote on it.
    error PriorityRegistryInvalidVote(uint256 id, bytes2 voter);

    // ─── governance (docs/spec/governance.md#delay-and-cancellation) ────────────────────────────────────────────────────────────

    /// @notice Propose admitting `office` with `signer` as its key (registrar). With a delay of 0
    /// it takes effect in the same call. Returns the proposal id.
    function admitOffice(bytes2 office, address signer) external returns (uint256 id);

    /// @notice Propose suspending `office` (registrar); immediate with a delay of 0.
    function suspendOffice(bytes2 office) external returns (uint256 id);

    /// @notice Propose reinstating a suspended `office` (registrar); immediate with a delay of 0.
    function reinstateOffice(bytes2 office) external returns (uint256 id);

    /// @notice Replace the key of `office`. Its own active key: at once. The registrar: a proposal
    /// that runs after the delay once a majority of the other active offices approved it.
    function rotateOfficeKey(bytes2 office, address newSigner) external returns (uint256 id);

    /// @notice The registrar proposes a rotation the office consented to with its signature
    /// (`RotateOfficeKey`, by its current key); runs after the delay (at once with a delay of 0).
    function rotateOfficeKeyWithConsent(bytes2 office, address newSigner, uint256 deadline, bytes calldata signature)
        external
        returns (uint256 id);

    /// @notice Run a pending proposal whose delay has passed (registrar).
    function executeProposal(uint256 id) external;

    /// @notice An active office (not the target) votes to cancel proposal `id`; the registrar may
    /// withdraw its own. A majority of the electorate cancels it.
    function cancelProposal(uint256 id) external;

    /// @notice An active office (not the target) approves a key-rotation proposal; a majority consents.
    function approveProposal(uint256 id) external;

    /// @notice The governance delay in seconds, fixed at deployment.
    function governanceDelay() external view returns (uint48);

    /// @notice The proposal `id`.
    function getProposal(uint256 id) external view returns (Proposal memory);

    /// @notice How many proposals were made (ids run from 1).
    function proposalCount() external view returns (uint256);

    /// @notice How many offices are active.
    function activeOfficeCount() external view returns (uint256);

    // ─── an office acting on itself ─────────────────────────────────────────────────────────

    /// @notice Set the sender's office gateway URL (at once; empty string: none).
    function setGatewayEndpoint(string calldata endpoint) external;

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

    /// @notice Record a new version of an anchored filing of the sender's office with a corrected
    /// date and/or a new (bound) document digest.
    function amendFiling(bytes32 commitment, uint32 filingDate, bytes32 documentDigest, Inclusion calldata inclusion)
        external;

    /// @notice Add a priority claim to an anchored filing of the sender's office (a new version).
    function addPriorityClaim(bytes32 commitment, PriorityClaim calldata claim, Inclusion calldata inclusion)
        external;

    /// @notice Withdraw a priority claim (a new version; the claim stays in history).
    function withdrawPriorityClaim(
        bytes32 commitment,
        bytes2 earlierOffice,
        bytes32 earlierCommitment,
        Inclusion calldata inclusion
    ) external;

    /// @notice The sender's office, as the earlier office, confirms genuine claims on its own
    /// applications (it checked their tokens off chain); one `PriorityClaimConfirmed` a link.
    function confirmPriorityClaims(Confirmation[] calldata links) external;

    /// @notice Anchor a report (bound `reportDigest`) of an anchored application of the sender's office.
    function anchorReport(
        bytes32 commitment,
        bytes32 reportDigest,
        uint8 kind,
        uint32 issued,
        Inclusion calldata inclusion
    ) external;

    /// @notice Reveal the number and access secret behind an anchored filing of the sender's office.
    function publishFiling(
        bytes2 numberOffice,
        string calldata canonicalNumber,
        string calldata accessSecret,
        Inclusion calldata inclusion
    ) external returns (bytes32 commitment);

    // ─── views ──────────────────────────────────────────────────────────────────────────────

    /// @notice The directory entry of `office`.
    function getOffice(bytes2 office) external view returns (Office memory);

    /// @notice The gateway URL `office` set (empty when none).
    function gatewayEndpoint(bytes2 office) external view returns (string memory);

    /// @notice The office whose current key is `signer` (zero when none).
    function officeOfSigner(address signer) external view returns (bytes2);

    /// @notice The next nonce a signed message of `office` must carry.
    function officeNonce(bytes2 office) external view returns (uint256);

    /// @notice The stored record of (`office`, `commitment`) (office zero when not stored).
    function getRecord(bytes2 office, bytes32 commitment) external view returns (Record memory);

    /// @notice The batch `office` anchored under `root` (office zero when none).
    function getBatch(bytes2 office, bytes32 root) external view returns (Batch memory);

    /// @notice Whether `office` anchored a report with `reportDigest`.
    function hasReport(bytes2 office, bytes32 reportDigest) external view returns (bool);

    /// @notice The current version of `office`'s filing at (`batchRoot`, `commitment`), 1 when never amended.
    function versionOf(bytes2 office, bytes32 batchRoot, bytes32 commitment) external view returns (uint32);

    /// @notice Whether `office`'s filing at (`batchRoot`, `commitment`) was published.
    function isPublished(bytes2 office, bytes32 batchRoot, bytes32 commitment) external view returns (bool);

    /// @notice Whether `entry` is under `office`'s anchored batch `root` by `proof`.
    function verifyInclusion(bytes2 office, bytes32 root, bytes calldata entry, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The commitment of (`office`, `canonicalNumber`, `accessSecret`).
    function computeCommitment(bytes2 office, string calldata canonicalNumber, string calldata accessSecret)
        external
        pure
        returns (bytes32);

    /// @notice The claim token (`laterOffice`, `laterCommitment`) carries for an earlier application.
    function computeClaimToken(bytes2 laterOffice, bytes32 laterCommitment, string calldata earlierAccessSecret)
        external
        pure
        returns (bytes16);

    /// @notice The document digest of `commitment` bound to the document's SHA-256.
    function computeDocumentDigest(bytes32 commitment, bytes32 documentSha256) external pure returns (bytes32);

    /// @notice The report digest of `commitment` bound to the report's SHA-256.
    function computeReportDigest(bytes32 commitment, bytes32 reportSha256) external pure returns (bytes32);

    /// @notice The StandardMerkleTree leaf of a packed entry.
    function leafOf(bytes calldata entry) external pure returns (bytes32);

    /// @notice The EIP-712 digest `office` signs for `filing`.
    function hashAnchorFiling(bytes2 office, Filing calldata filing, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest `office` signs for a batch.
    function hashAnchorBatch(
        bytes2 office,
        bytes32 root,
        uint32 count,
        bytes32 entriesHash,
        uint256 nonce,
        uint256 deadline
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest `office` signs to consent to a key rotation.
    function hashRotateOfficeKey(bytes2 office, address newSigner, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest of a `PriorityDocument` (docs/spec/packages.md#signature).
    function hashPriorityDocument(bytes2 office, bytes32 commitment, bytes32 manifestSha256, uint32 version)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest of a `ReportRequest` (docs/spec/between-gateways.md#signed-requests).
    function hashReportRequest(
        bytes2 office,
        bytes32 reportId,
        bytes32 throughCommitment,
        bytes32 nonce,
        uint64 expiry
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest of a `PriorityDocumentRequest` (docs/spec/between-gateways.md#signed-requests).
    function hashPriorityDocumentRequest(
        bytes2 office,
        bytes32 commitment,
        uint32 version,
        bytes32 accessSecretHash,
        bytes32 nonce,
        uint64 expiry
    ) external view returns (bytes32);
}
