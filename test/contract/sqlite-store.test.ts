/**
 * The Store contract on the embedded SQLite backend. Another backend joins
 * with a test file like this one, of one line.
 */
import { SqliteStore } from '../../src/store/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite', (dir, options) => new SqliteStore({ dir, ...options }));
