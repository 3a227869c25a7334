/**
 * Which CortenClient method calls each route of the API, by the route's
 * `operationId` in the OpenAPI document. A test walks the coordinator's route
 * catalog against this table, so a route without a method here fails it.
 * Some routes have two methods: a whole and a streamed answer, a page and
 * every page, a live stream as a callback or as a resuming async iterator.
 */
import type { CortenClient } from './client.js';

/** The names of CortenClient's methods. */
export type SdkMethod = {
  [K in keyof CortenClient]: CortenClient[K] extends (...args: never[]) => unknown ? K : never;
}[keyof CortenClient];

export const SDK_OPERATIONS: Readonly<Record<string, readonly SdkMethod[]>> = {
  // EUs
  publishEu: ['publishEu'],
  listEus: ['listEus'],
  getEu: ['getEu'],
  // Tasks
  submitTasks: ['submitTasks'],
  listTasks: ['listTasks'],
  getTask: ['getTask', 'waitForTasks'],
  getReceipt: ['getReceipt'],
  countTasks: ['countTasks'],
  retryTasks: ['retryTasks'],
  cancelTasks: ['cancelTasks'],
  // Workflows and jobs
  publishWorkflow: ['publishWorkflow'],
  listWorkflows: ['listWorkflows'],
  getWorkflow: ['getWorkflow'],
  upgradeWorkflow: ['upgradeWorkflow'],
  submitJobs: ['submitJobs'],
  listJobs: ['listJobs'],
  getJob: ['getJob', 'waitForJobs'],
  cancelJob: ['cancelJob'],
  // Events
  listEvents: ['events', 'allEvents'],
  streamEvents: ['follow', 'stream'],
  // Network
  listOperators: ['listOperators'],
  getOperator: ['getOperator'],
  getOperatorHistory: ['operatorHistory'],
  getReputation: ['getReputation'],
  listRegions: ['listRegions'],
  setRegion: ['setRegion'],
  operatorConnect: ['operatorConnectUrl'],
  // Accounts
  createAccount: ['createAccount'],
  getOwnAccount: ['getAccount'],
  getAccount: ['getAccount'],
  deposit: ['deposit'],
  // Stake
  getStake: ['getStake'],
  addStake: ['stake'],
  withdrawStake: ['unstake'],
  withdrawEarnings: ['payEarnings'],
  reinstateOperator: ['reinstate'],
  // Ledger
  listLedgerEntries: ['ledgerEntries', 'allLedgerEntries'],
  getBalances: ['ledgerBalances'],
  // Monitoring
  getStats: ['stats'],
  getLeader: ['getLeader'],
  getMetrics: ['metrics'],
  getHealth: ['health'],
  // Reference
  getOpenApi: ['openApi'],
  getReferencePage: ['referencePage'],
  getReferenceAsset: ['referenceAsset'],
  getDashboard: ['dashboardPage'],
  getDashboardAsset: ['dashboardAsset'],
  // The OpenAI-compatible endpoint
  listModels: ['listModels'],
  getModel: ['getModel'],
  createChatCompletion: ['createChatCompletion', 'streamChatCompletion'],
  createCompletion: ['createCompletion', 'streamCompletion'],
  createEmbedding: ['createEmbedding'],
  // An operator's standing and webhooks
  getOperatorStanding: ['getStanding'],
  registerWebhook: ['registerWebhook'],
  listWebhooks: ['listWebhooks'],
  removeWebhook: ['removeWebhook'],
  listWebhookDeliveries: ['listWebhookDeliveries'],
};
