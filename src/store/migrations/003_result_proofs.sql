-- Results are signed in batches: one operator signature over the Merkle root of a
-- frame's results, each result with its path to that root (protocol/result-batch.ts).

-- The result's Merkle path to the signed root, JSON array of 'L<hex>'/'R<hex>'; NULL when it was signed alone.
ALTER TABLE assignments ADD COLUMN signature_proof TEXT;
