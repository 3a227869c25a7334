export { Accounts } from './accounts.js';
export { Ledger, transfer } from './ledger.js';
export { OperatorTotals, type OperatorTotalsView } from './operator-totals.js';
export { NETWORK_OWNER, canRead, eventOwner, ownerOf, requireOwner, viewerOf, type Viewer } from './ownership.js';
export { buildReceipt } from './receipts.js';
export { Settlement } from './settlement.js';
export { StakeBook } from './stake-book.js';
export { Economics, type EconomicsPolicy } from './economics.js';
